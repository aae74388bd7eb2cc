package tenant

import (
	"context"
	"sync"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// readOnlyFly answers the reads of a refresh from fixed objects and records each call; any
// other Runtime method panics (the embedded interface is nil): a refresh must not write.
type readOnlyFly struct {
	launchpad.Runtime
	appExists bool
	machine   *launchpad.Machine
	volume    *launchpad.Volume
	ips       []*launchpad.IPAddress
	secrets   []*launchpad.Secret

	mu    sync.Mutex
	calls []string
}

func (f *readOnlyFly) record(call string) error {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if !f.appExists {
		return launchpad.Errorf(launchpad.ENOTFOUND, "app not found")
	}
	return nil
}

func (f *readOnlyFly) GetApp(context.Context, string) (*launchpad.App, error) {
	return nil, f.record("GetApp")
}

func (f *readOnlyFly) ListIPs(context.Context, string) ([]*launchpad.IPAddress, error) {
	return f.ips, f.record("ListIPs")
}

func (f *readOnlyFly) ListSecrets(context.Context, string) ([]*launchpad.Secret, error) {
	return f.secrets, f.record("ListSecrets")
}

func (f *readOnlyFly) GetMachine(_ context.Context, _, id string) (*launchpad.Machine, error) {
	_ = f.record("GetMachine") // Fly answers 404 for a machine of a missing app too
	if f.machine == nil || f.machine.ID != id || !f.appExists {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "machine %s not found", id)
	}
	return f.machine, nil
}

func (f *readOnlyFly) GetVolume(_ context.Context, _, id string) (*launchpad.Volume, error) {
	_ = f.record("GetVolume")
	if f.volume == nil || f.volume.ID != id || !f.appExists {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "volume %s not found", id)
	}
	return f.volume, nil
}

func knownTenant() *launchpad.Tenant {
	return &launchpad.Tenant{AppName: "lp-hermes-alice01-abc", MachineID: "m1", VolumeID: "v1", IPv4: "10.0.0.1", IPv6: "fdaa::1"}
}

func TestObserveReadsEverythingOnceWithoutReadingTheApp(t *testing.T) {
	fly := &readOnlyFly{
		appExists: true,
		machine:   &launchpad.Machine{ID: "m1", State: "started"},
		volume:    &launchpad.Volume{ID: "v1", State: "created", SizeGB: 5},
		ips:       []*launchpad.IPAddress{{Type: launchpad.IPv4, Address: "10.0.0.1"}, {Type: launchpad.IPv6, Address: "fdaa::1"}},
		secrets:   []*launchpad.Secret{{Name: launchpad.KeySecretName, Digest: "d1"}},
	}
	o, err := observe(context.Background(), fly, knownTenant())
	if err != nil {
		t.Fatal(err)
	}
	if o.machine == nil || o.volume == nil || o.ipv4 != "10.0.0.1" || o.ipv6 != "fdaa::1" || o.secretDigest != "d1" {
		t.Errorf("observed %+v, want every part", o)
	}
	if len(fly.calls) != 4 {
		t.Errorf("calls %v, want exactly ListIPs, ListSecrets, GetMachine and GetVolume", fly.calls)
	}
	for _, c := range fly.calls {
		if c == "GetApp" {
			t.Errorf("the refresh read the app (%v): listing its IPs already proves it exists", fly.calls)
		}
	}
}

func TestObserveTellsAMissingMachineFromAMissingApp(t *testing.T) {
	// The machine and volume were deleted inside the app: parts to create again.
	fly := &readOnlyFly{appExists: true}
	o, err := observe(context.Background(), fly, knownTenant())
	if err != nil {
		t.Fatalf("machine and volume gone, app there: err = %v, want none", err)
	}
	if o.machine != nil || o.volume != nil {
		t.Errorf("observed %+v, want no machine and no volume", o)
	}
	// The whole app was deleted: the tenant is gone.
	if _, err := observe(context.Background(), &readOnlyFly{appExists: false}, knownTenant()); !launchpad.IsNotFound(err) {
		t.Errorf("app gone: err = %v, want ENOTFOUND", err)
	}
}
