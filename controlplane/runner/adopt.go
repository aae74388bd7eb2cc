package runner

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// orphan is a resource the store records for the user but the restored state lacks: what a
// run killed after the provider created it and before tofu wrote its state left behind.
type orphan struct {
	address string // launchpad_subkey.this or launchpad_tenant.this
	id      string
}

// findOrphans compares the store's records of the user with the restored state. It returns
// the orphans to import and a desired state whose configuration declares them (the records'
// own plan, product, region and image), for tofu import to read.
func findOrphans(ctx context.Context, st Store, d launchpad.ApplyRequest, state []byte) ([]orphan, launchpad.ApplyRequest, error) {
	inState := stateAddresses(state)
	var found []orphan
	adopt := launchpad.ApplyRequest{UserID: d.UserID, Plan: d.Plan, Product: d.Product, Region: d.Region, Image: d.Image,
		KeyRotation: d.KeyRotation, Rebuild: d.Rebuild, Reset: d.Reset}

	if !inState["launchpad_subkey.this"] {
		keys, err := st.ListSubKeys(ctx, launchpad.SubKeyFilter{UserID: d.UserID})
		if err != nil {
			return nil, adopt, err
		}
		if len(keys) == 1 {
			found = append(found, orphan{address: "launchpad_subkey.this", id: keys[0].Hash})
			if adopt.Plan == "" {
				adopt.Plan = keys[0].Plan
			}
		}
	}
	if !inState["launchpad_tenant.this"] {
		tenants, err := st.ListTenants(ctx, launchpad.TenantFilter{UserID: d.UserID})
		if err != nil {
			return nil, adopt, err
		}
		for _, t := range tenants {
			if d.Product != "" && t.Product != d.Product {
				continue
			}
			if t.MachineID == "" {
				// Only a claim: the run was killed before the tenant's machine existed. The
				// provider's create resumes a claim under its app name; an import would find
				// nothing to read when the app was not made yet.
				continue
			}
			found = append(found, orphan{address: "launchpad_tenant.this", id: t.AppName})
			if adopt.Plan == "" {
				adopt.Plan = t.Plan
			}
			if d.Destroy || adopt.Product == "" {
				adopt.Product, adopt.Region, adopt.Image = t.Product, t.Region, t.Image
			}
			break
		}
	}
	return found, adopt, nil
}

// stateAddresses lists the managed resources of a state file.
func stateAddresses(state []byte) map[string]bool {
	var s struct {
		Resources []struct {
			Mode, Type, Name string
			Instances        []json.RawMessage
		}
	}
	out := map[string]bool{}
	if json.Unmarshal(state, &s) != nil {
		return out
	}
	for _, r := range s.Resources {
		if r.Mode == "managed" && len(r.Instances) > 0 {
			out[r.Type+"."+r.Name] = true
		}
	}
	return out
}

// adoptOrphans imports every orphan into the state, under a configuration that declares it,
// so the run that follows updates or destroys it instead of failing on "already exists" or
// leaking it. The work directory's main.tf.json is rewritten by the caller afterwards.
func (r *Runner) adoptOrphans(ctx context.Context, dir string, orphans []orphan, adopt launchpad.ApplyRequest, jl *jobLog, log *slog.Logger) error {
	config, err := r.cfg.Render(r.cfg.Defaults.Apply(adopt))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf.json"), config, 0o600); err != nil {
		return err
	}
	t, err := r.tofu(dir, jl)
	if err != nil {
		return err
	}
	for _, o := range orphans {
		jl.Printf("adopting %s %s: the store records it but the state lacks it (an earlier run was interrupted)", o.address, o.id)
		log.Warn("importing a resource an interrupted run left out of the state", "address", o.address, "id", o.id)
		if err := t.tf.Import(ctx, o.address, o.id); err != nil {
			return launchpad.Wrapf(err, "importing %s %s", o.address, o.id)
		}
	}
	return nil
}
