package tenant

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The fixed parts of every tenant's boundary. Names are deterministic so that the clients can
// find an object again after a lost response instead of creating a second one.
const (
	volumeName      = "workspace"
	machineWaitTime = 2 * time.Minute
	metaUserID      = "launchpad_user_id"
	metaPlan        = "launchpad_plan"
	metaGeneration  = "launchpad_rebuild_generation"
	metaReset       = "launchpad_reset_generation"
)

// machineName is per rebuild generation: a rebuilt machine is a new machine.
func machineName(generation int64) string {
	return "agent-g" + strconv.FormatInt(generation, 10)
}

// builder creates or repairs one tenant's parts at Fly, keeping in its Boundary what exists
// and what it made.
type builder struct {
	*Boundary
	rt        launchpad.Runtime
	org       string
	plan      *launchpad.Plan
	appExists bool // the app exists at Fly (found or created)
	mayExist  bool // the app may exist already: a resumed claim, or a restore into a kept app
	restore   *Retained
	// secretsVersion is the app's secrets version that holds the key setKey set (0: none set
	// in this run): the machine is created or updated with at least it.
	secretsVersion uint64
}

func (s *Service) builder(b *Boundary, plan *launchpad.Plan) *builder {
	return &builder{Boundary: b, rt: s.runtime, org: s.org, plan: plan}
}

// ensureApp creates the app on its own private network — network = app name, so no
// .internal route reaches another tenant — unless it exists already (a resumed create). It
// reports whether it created the app.
func (b *builder) ensureApp(ctx context.Context) (bool, error) {
	t := b.Tenant
	t.Network = t.AppName
	if app, err := b.rt.GetApp(ctx, t.AppName); err == nil {
		if app.Org != "" && b.org != "" && app.Org != b.org {
			return false, launchpad.Errorf(launchpad.ECONFLICT, "app name %s is taken by another Fly organization", t.AppName)
		}
		b.appExists = true
		return false, nil
	} else if !launchpad.IsNotFound(err) {
		return false, launchpad.Wrapf(err, "reading app %s", t.AppName)
	}
	if _, err := b.rt.CreateApp(ctx, launchpad.AppSpec{Name: t.AppName, Org: b.org, Network: t.AppName}); err != nil {
		return false, launchpad.Wrapf(err, "creating app %s", t.AppName)
	}
	b.appExists = true
	b.Created = append(b.Created, "app "+t.AppName)
	return true, nil
}

// ensureIPs gives the app a dedicated IPv4 and an IPv6 if it lacks either.
func (b *builder) ensureIPs(ctx context.Context) error {
	t := b.Tenant
	if t.IPv4 == "" {
		ip, err := b.rt.AllocateIP(ctx, t.AppName, launchpad.IPSpec{Type: launchpad.IPv4, Shared: false})
		if err != nil {
			return launchpad.Wrapf(err, "allocating a dedicated IPv4 for %s", t.AppName)
		}
		t.IPv4 = ip.Address
		b.Created = append(b.Created, "IPv4 "+ip.Address)
	}
	if t.IPv6 == "" {
		ip, err := b.rt.AllocateIP(ctx, t.AppName, launchpad.IPSpec{Type: launchpad.IPv6})
		if err != nil {
			return launchpad.Wrapf(err, "allocating an IPv6 for %s", t.AppName)
		}
		t.IPv6 = ip.Address
		b.Created = append(b.Created, "IPv6 "+ip.Address)
	}
	return nil
}

// volumeState is what ensureVolume did to the workspace volume.
type volumeState struct {
	sizeGB  int
	created bool // a new volume: the machine must be rebuilt to mount it
	// needsRestart: the volume grew under a running machine, which sees the added space only
	// once it boots again (Fly's needs_restart).
	needsRestart bool
}

// ensureVolume creates the encrypted workspace volume if missing, or extends it to the plan's
// size; it never shrinks a volume (a smaller plan keeps the data and the size).
func (b *builder) ensureVolume(ctx context.Context, currentSizeGB int) (volumeState, error) {
	t := b.Tenant
	if t.VolumeID == "" {
		v, err := b.rt.CreateVolume(ctx, t.AppName, launchpad.VolumeSpec{
			Name: volumeName, Region: t.Region, SizeGB: b.plan.VolumeSizeGB, Encrypted: true,
		})
		if err != nil {
			return volumeState{}, launchpad.Wrapf(err, "creating the encrypted volume of %s", t.AppName)
		}
		if !v.Encrypted {
			return volumeState{}, launchpad.Errorf(launchpad.EINTERNAL, "Fly created volume %s of %s unencrypted; refusing to use it", v.ID, t.AppName)
		}
		t.VolumeID = v.ID
		b.Created = append(b.Created, "volume "+v.ID)
		return volumeState{sizeGB: v.SizeGB, created: true}, nil
	}
	if b.plan.VolumeSizeGB > currentSizeGB {
		v, err := b.rt.ExtendVolume(ctx, t.AppName, t.VolumeID, b.plan.VolumeSizeGB)
		if err != nil {
			return volumeState{}, launchpad.Wrapf(err, "extending volume %s of %s to %d GB", t.VolumeID, t.AppName, b.plan.VolumeSizeGB)
		}
		return volumeState{sizeGB: v.SizeGB, needsRestart: v.NeedsRestart}, nil
	}
	return volumeState{sizeGB: currentSizeGB}, nil
}

// machineSpec is the tenant machine: the plan's size, the workspace volume at /workspace,
// no secret in its environment (the model key is an app secret), and at least the secrets
// version of the key this run set.
func (b *builder) machineSpec() launchpad.MachineSpec {
	t := b.Tenant
	return launchpad.MachineSpec{
		MinSecretsVersion: b.secretsVersion,
		Name:              machineName(t.RebuildGeneration),
		Region:            t.Region,
		Image:             t.Image,
		Guest:             b.plan.Guest,
		Env: map[string]string{
			"LAUNCHPAD_APP":     t.AppName,
			"LAUNCHPAD_PRODUCT": t.Product,
			"HERMES_HOME":       launchpad.WorkspaceMount + "/.hermes",
			// The agent's logs: on the volume, kept 7 days, deleted with the volume.
			launchpad.AgentLogDirEnv:       launchpad.AgentLogDir,
			launchpad.AgentLogRetentionEnv: strconv.Itoa(launchpad.AgentLogRetentionDays),
		},
		Mounts: []launchpad.Mount{{VolumeID: t.VolumeID, Path: launchpad.WorkspaceMount}},
		Checks: agentChecks(),
		Metadata: map[string]string{
			metaUserID:     t.UserID,
			metaPlan:       b.plan.Name,
			metaGeneration: strconv.FormatInt(t.RebuildGeneration, 10),
			metaReset:      strconv.FormatInt(t.ResetGeneration, 10),
		},
	}
}

// createMachine launches the machine and waits for it to start. A machine being destroyed
// still holds the volume (Fly lets it go only once destroyed): it is waited for first.
func (b *builder) createMachine(ctx context.Context) error {
	t := b.Tenant
	if err := releaseVolume(ctx, b.rt, t.AppName, t.VolumeID, ""); err != nil {
		return err
	}
	m, err := b.rt.CreateMachine(ctx, t.AppName, b.machineSpec())
	if err != nil {
		return launchpad.Wrapf(err, "creating the machine of %s", t.AppName)
	}
	t.MachineID, t.MachineState, b.Guest = m.ID, m.State, m.Guest
	b.Created = append(b.Created, "machine "+m.ID)
	return b.waitStarted(ctx)
}

// updateMachine applies the plan's size, the image and the key's secrets version to the
// existing machine in place. A started machine is replaced and boots again — which is also
// what a volume grown under it needs to be seen at its new size. A machine that was stopped
// (an hour cap, a suspension) stays stopped on the new version: Fly leaves it so, and starting
// it is the control plane's decision, not the provider's.
func (b *builder) updateMachine(ctx context.Context) error {
	t := b.Tenant
	before, err := b.rt.GetMachine(ctx, t.AppName, t.MachineID)
	if err != nil {
		return launchpad.Wrapf(err, "reading machine %s of %s", t.MachineID, t.AppName)
	}
	m, err := replaceMachine(ctx, b.rt, t, before, b.machineSpec())
	if err != nil {
		return launchpad.Wrapf(err, "updating machine %s of %s", t.MachineID, t.AppName)
	}
	b.Guest = m.Guest
	return nil
}

func (b *builder) waitStarted(ctx context.Context) error {
	t := b.Tenant
	if err := b.rt.WaitMachine(ctx, t.AppName, t.MachineID, launchpad.MachineStarted, machineWaitTime); err != nil {
		return launchpad.Wrapf(err, "waiting for machine %s of %s to start", t.MachineID, t.AppName)
	}
	t.MachineState = launchpad.MachineStarted
	return nil
}

// destroyMachine removes the machine (killing it if it runs) and waits until it is destroyed:
// until then Fly keeps the volume attached to it. A missing one is fine.
func (b *builder) destroyMachine(ctx context.Context) error {
	t := b.Tenant
	if t.MachineID == "" {
		return nil
	}
	if err := b.rt.DestroyMachine(ctx, t.AppName, t.MachineID, true); err != nil && !launchpad.IsNotFound(err) {
		return launchpad.Wrapf(err, "destroying machine %s of %s", t.MachineID, t.AppName)
	}
	if err := waitDestroyed(ctx, b.rt, t.AppName, t.MachineID); err != nil {
		return err
	}
	t.MachineID, t.MachineState = "", ""
	return nil
}

// setKey sets the resolved key as the app secret and records its source, digest and secrets
// version; the machine created or updated next asks for that version.
func (b *builder) setKey(ctx context.Context, key *Key) error {
	s, err := setKeySecret(ctx, b.rt, b.Tenant, key.plaintext)
	if err != nil {
		return err
	}
	b.secretsVersion = s.Version
	b.Tenant.KeySource, b.Tenant.SubKeyHash, b.Tenant.SecretDigest = key.Source, key.SubKeyHash, s.Digest
	return nil
}

// partialError explains a failed create, listing what exists so the operator knows what the
// tainted resource holds (the next apply destroys and recreates it).
func (b *builder) partialError(err error) error {
	if len(b.Created) == 0 {
		return err
	}
	return launchpad.Errorf(launchpad.ErrorCode(err), "%s (created before the failure: %s; the resource is marked tainted and the next apply replaces it)",
		launchpad.ErrorMessage(err), strings.Join(b.Created, ", "))
}

// agentChecks is the agent's health check: Fly connects to its port, and a rollout counts a
// tenant as done only once this passes (launchpad.Machine.Healthy).
func agentChecks() map[string]launchpad.MachineCheck {
	return map[string]launchpad.MachineCheck{
		launchpad.AgentCheckName: {Type: "tcp", Port: launchpad.AgentPort, Interval: 15 * time.Second, Timeout: 5 * time.Second, GracePeriod: 10 * time.Second},
	}
}
