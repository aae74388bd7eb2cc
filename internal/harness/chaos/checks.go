package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/chaos/invariants"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
)

type (
	simApp = sim.FlyAppSnapshot
	simKey = sim.KeySnapshot
)

// checkEvents: every event delivered was answered 2xx, taken for new at most once, and is
// recorded once, as delivered, and processed without error. One subject per event.
func (cp *controlPlaneRun) checkEvents(pms []*postman) invariants.Result {
	r := invariants.Result{Name: "every event recorded once and processed"}
	ctx := context.Background()
	// The store holds the events delivered in the whole run, and nothing else.
	all := map[string]bool{}
	for _, p := range cp.postmen {
		for id := range p.delivered() {
			all[id] = true
		}
	}
	if recs, err := cp.st.ListStripeEvents(ctx, 1000); err != nil {
		r.Fail("listing the recorded events: %v", err)
	} else if len(recs) < 1000 {
		extra := 0
		for _, rec := range recs {
			if !all[rec.ID] {
				extra++
			}
		}
		if extra > 0 || len(recs) != len(all) {
			r.Fail("the store holds %d events (%d never delivered); %d distinct events were delivered", len(recs), extra, len(all))
		} else {
			r.Pass()
		}
	}
	// Across replicas too, at most one delivery of an event may be taken for new.
	fresh := map[string]int{}
	for _, pm := range pms {
		for id := range pm.delivered() {
			fresh[id] += pm.answersOf(id).fresh
		}
	}
	for _, pm := range pms {
		for id, ev := range pm.delivered() {
			a := pm.answersOf(id)
			rec, err := cp.st.GetStripeEvent(ctx, id)
			switch {
			case fresh[id] > 1:
				r.Fail("%s (%s): answered as new %d times across %d replicas", id, ev.Type, fresh[id], len(pms))
			case len(a.refused) > 0:
				r.Fail("%s (%s): refused %v", id, ev.Type, a.refused)
			case a.fresh+a.duplicate == 0:
				r.Fail("%s (%s): never answered 2xx", id, ev.Type)
			case a.fresh > 1:
				r.Fail("%s (%s): answered as new %d times", id, ev.Type, a.fresh)
			case launchpad.IsNotFound(err):
				r.Fail("%s (%s): answered 2xx but not recorded: LOST", id, ev.Type)
			case err != nil:
				r.Fail("%s: reading it: %v", id, err)
			case !bytes.Equal(rec.Payload, ev.Body):
				r.Fail("%s: recorded with another body", id)
			case rec.ProcessedAt.IsZero():
				r.Fail("%s (%s): recorded but never processed (error %q)", id, ev.Type, rec.Error)
			case rec.Error != "":
				r.Fail("%s (%s): processed with an error: %s", id, ev.Type, rec.Error)
			default:
				r.Pass()
			}
		}
	}
	return r
}

// checkPlans: each customer's tenant is as their newest delivered subscription event says —
// on that plan's machine size and key limit (and a volume at least the plan's), or, after a
// cancellation, gone without a trace. One subject per customer.
func (cp *controlPlaneRun) checkPlans(ctx context.Context, customers []*customer, pms []*postman) invariants.Result {
	r := invariants.Result{Name: "every tenant at the plan of its newest event"}
	fly, err := cp.sb.Fly(ctx)
	if err != nil {
		r.Fail("reading the Fly simulator: %v", err)
		return r
	}
	or, err := cp.sb.OpenRouter(ctx)
	if err != nil {
		r.Fail("reading the OpenRouter simulator: %v", err)
		return r
	}
	delivered := func(id string) bool {
		for _, pm := range pms {
			if a := pm.answersOf(id); a.fresh+a.duplicate > 0 {
				return true
			}
		}
		return false
	}
	for _, cu := range customers {
		want, ok := cu.expected(delivered)
		if !ok {
			continue // nothing about its subscription was delivered: nothing to expect
		}
		r.Check(cu.email, cp.checkTenant(ctx, cu, want, fly.Apps, or.Keys))
	}
	return r
}

func (cp *controlPlaneRun) checkTenant(ctx context.Context, cu *customer, want subState, apps []simApp, keys []simKey) error {
	u, err := cp.st.GetUserByEmail(ctx, cu.email)
	if err != nil {
		return fmt.Errorf("no user: %v", err)
	}
	tenants, err := cp.st.ListTenants(ctx, launchpad.TenantFilter{UserID: u.ID})
	if err != nil {
		return err
	}
	subkeys, err := cp.st.ListSubKeys(ctx, launchpad.SubKeyFilter{UserID: u.ID})
	if err != nil {
		return err
	}
	uid8, err := launchpad.UID8(u.ID)
	if err != nil {
		return err
	}
	var ownApps []simApp
	for _, a := range apps {
		if strings.HasPrefix(a.Name, "lp-hermes-"+uid8+"-") {
			ownApps = append(ownApps, a)
		}
	}
	var ownKeys []simKey
	for _, k := range keys {
		if k.Name == "launchpad-"+u.ID {
			ownKeys = append(ownKeys, k)
		}
	}
	if want.canceled {
		if len(tenants)+len(subkeys)+len(ownApps)+len(ownKeys) > 0 || u.Subscription.Status != "canceled" || u.Plan != launchpad.TrialPlan {
			return fmt.Errorf("cancelled, yet user %s is %s on %q with %d tenant records, %d sub-key records, %d apps and %d keys left",
				u.ID, u.Subscription.Status, u.Plan, len(tenants), len(subkeys), len(ownApps), len(ownKeys))
		}
		return nil
	}
	p := cp.plans[want.price]
	if u.Plan != p.Name || len(tenants) != 1 || len(subkeys) != 1 || len(ownApps) != 1 || len(ownKeys) != 1 {
		return fmt.Errorf("user %s is on %q with %d tenant records, %d sub-key records, %d apps and %d keys; want plan %s with one of each",
			u.ID, u.Plan, len(tenants), len(subkeys), len(ownApps), len(ownKeys), p.Name)
	}
	a, k := ownApps[0], ownKeys[0]
	var live []string
	for _, m := range a.Machines {
		if m.State == "destroyed" {
			continue
		}
		live = append(live, m.ID)
		if m.Guest.CPUs != p.CPUs || m.Guest.MemoryMB != p.Memory || m.Guest.CPUKind != p.CPUKind {
			return fmt.Errorf("machine %s of %s is %d %s CPU, %d MB; plan %s wants %d %s CPU, %d MB", m.ID, a.Name, m.Guest.CPUs, m.Guest.CPUKind, m.Guest.MemoryMB, p.Name, p.CPUs, p.CPUKind, p.Memory)
		}
	}
	switch {
	case len(live) != 1:
		return fmt.Errorf("app %s has %d live machines", a.Name, len(live))
	case len(a.Volumes) != 1 || a.Volumes[0].SizeGB < p.VolumeGB:
		return fmt.Errorf("app %s has volumes %+v; plan %s wants one of at least %d GB", a.Name, a.Volumes, p.Name, p.VolumeGB)
	case k.Disabled || k.Limit == nil || *k.Limit != p.LimitUSD:
		return fmt.Errorf("key %s: disabled %v, limit %v; plan %s wants $%g", k.Hash, k.Disabled, k.Limit, p.Name, p.LimitUSD)
	case tenants[0].AppName != a.Name || subkeys[0].Hash != k.Hash || tenants[0].Plan != p.Name:
		return fmt.Errorf("the store records %s on %s with key %s; the simulators hold %s with key %s", tenants[0].AppName, tenants[0].Plan, subkeys[0].Hash, a.Name, k.Hash)
	}
	return nil
}

// checkJobs: every job ended well (succeeded, or superseded by a newer one); none failed,
// none still queued, none running — least of all with an expired lease. One subject per job
// (the store lists at most 1000 of one status: past that, good ones are not all counted).
func (cp *controlPlaneRun) checkJobs(ctx context.Context) invariants.Result {
	r := invariants.Result{Name: "no job stuck or failed"}
	now := time.Now()
	for _, status := range []string{launchpad.JobSucceeded, launchpad.JobSuperseded, launchpad.JobFailed, launchpad.JobQueued, launchpad.JobRunning} {
		js, err := cp.st.ListJobs(ctx, launchpad.JobFilter{Status: status, Limit: 1000})
		if err != nil {
			r.Fail("listing %s jobs: %v", status, err)
			continue
		}
		for _, j := range js {
			switch status {
			case launchpad.JobSucceeded, launchpad.JobSuperseded:
				r.Pass()
			case launchpad.JobFailed:
				r.Fail("%s job %s (%s) failed after %d attempts: %s", j.Kind, j.ID, j.Key, j.Attempts, stack.Truncate(j.Error, 300))
			case launchpad.JobQueued:
				r.Fail("%s job %s (%s) still queued after the drain (attempt %d, runs after %s): %s", j.Kind, j.ID, j.Key, j.Attempts, j.RunAfter.Format(time.TimeOnly), stack.Truncate(j.Error, 200))
			case launchpad.JobRunning:
				if j.LeaseExpiresAt.Before(now) {
					r.Fail("%s job %s (%s) STUCK: running with a lease that expired at %s (worker %s)", j.Kind, j.ID, j.Key, j.LeaseExpiresAt.Format(time.TimeOnly), j.LeaseOwner)
				} else {
					r.Fail("%s job %s (%s) still running after the drain (worker %s)", j.Kind, j.ID, j.Key, j.LeaseOwner)
				}
			}
		}
		if len(js) == 1000 && status != launchpad.JobSucceeded && status != launchpad.JobSuperseded {
			r.Fail("1000 or more %s jobs: the rest are not checked", status)
		}
	}
	return r
}

var auditVerified = regexp.MustCompile(`audit: (\d+) events in (\d+) streams verified`)

// checkAudit runs `terraform-provider-launchpad audit --verify` on the store: every stream's
// hash chain must verify. The subjects are the streams it verified.
func (cp *controlPlaneRun) checkAudit(ctx context.Context) invariants.Result {
	r := invariants.Result{Name: "audit chain verifies (audit --verify)"}
	cmd := exec.CommandContext(ctx, cp.c.o.Binary, "audit", "--verify")
	env := stack.BaseEnv()
	env["LAUNCHPAD_STORE"] = cp.h.env["LAUNCHPAD_STORE"]
	cmd.Env = stack.EnvList(env)
	out, err := cmd.CombinedOutput()
	m := auditVerified.FindSubmatch(out)
	switch {
	case err != nil:
		r.Fail("audit --verify: %v: %s", err, bytes.TrimSpace(out))
	case m == nil:
		r.Fail("audit --verify said %q", bytes.TrimSpace(out))
	default:
		// Both are \d+ in the pattern: they parse.
		events, _ := strconv.Atoi(string(m[1]))
		streams, _ := strconv.Atoi(string(m[2]))
		r.Passed = streams
		cp.c.say("audit --verify: %d events in %d streams verified", events, streams)
	}
	return r
}
