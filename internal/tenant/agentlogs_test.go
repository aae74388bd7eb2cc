package tenant_test

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The agent machine's logs are kept 7 days and deleted on destroy: the machine Fly runs is
// told to write them on the workspace volume and keep each file 7 days, and destroying the
// tenant deletes that volume (and so the logs) with the app.
func TestAgentLogsLiveOnTheVolumeForSevenDays(t *testing.T) {
	ctx := context.Background()
	w, svc, b, _ := alice(t)
	app := w.App(b.Tenant.AppName)
	if app == nil || len(app.Machines) != 1 {
		t.Fatalf("the tenant's app at Fly: %+v; want one machine", app)
	}
	got, err := app.Machines[0].LogRetention()
	if err != nil {
		t.Fatal(err)
	}
	if got.Days != 7 || got.Dir != launchpad.AgentLogDir || got.Volume != b.Tenant.VolumeID {
		t.Fatalf("agent logs %+v; want 7 days in %s on the tenant's volume %s", got, launchpad.AgentLogDir, b.Tenant.VolumeID)
	}

	if kept, step, err := svc.Destroy(ctx, b.Tenant, 0); err != nil || kept != nil || step != "" {
		t.Fatalf("destroy: %+v, %q, %v", kept, step, err)
	}
	if app := w.App(b.Tenant.AppName); app != nil {
		t.Fatalf("after the destroy the app, and the volume holding the logs, are still at Fly: %+v", app)
	}
}
