package tenant_test

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// A destroy interrupted at any point, or run twice, simply runs again.
func TestTeardownIsIdempotent(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	tn := b.Tenant
	// Interrupted after the machine went: the rest still goes.
	must(t, w.Runtime.DestroyMachine(ctx, tn.AppName, tn.MachineID, true))
	for i := range 2 {
		if err := svc.Teardown(ctx, tn); err != nil {
			t.Fatalf("teardown %d: %v", i+1, err)
		}
		if err := svc.Forget(ctx, tn.AppName); err != nil {
			t.Fatalf("forget %d: %v", i+1, err)
		}
	}
	if len(w.Fly.Sim.Snapshot().Apps) != 0 {
		t.Errorf("left at Fly: %+v", w.Fly.Sim.Snapshot().Apps)
	}
	if _, err := w.Store.GetTenant(ctx, tn.AppName); !launchpad.IsNotFound(err) {
		t.Errorf("the record: err = %v, want it gone", err)
	}
}

// A tenant whose ids were never recorded (an import that failed half-way) is found by name.
func TestTeardownFindsPartsItHasNoIdsFor(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	if err := svc.Teardown(ctx, &launchpad.Tenant{AppName: b.Tenant.AppName}); err != nil {
		t.Fatal(err)
	}
	if w.App(b.Tenant.AppName) != nil {
		t.Errorf("the app is still at Fly")
	}
}
