package tenant_test

import (
	"maps"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

func TestUpdatedEventNamesWhatChanged(t *testing.T) {
	before := &launchpad.Tenant{AppName: "lp-hermes-alice01-t0abc1", UserID: "alice01", Plan: "starter", Image: "img:1"}
	cases := []struct {
		name    string
		after   launchpad.Tenant
		action  string
		details map[string]string
	}{
		{"image", launchpad.Tenant{Plan: "starter", Image: "img:2"}, launchpad.AuditTenantUpdated,
			map[string]string{"plan": "starter", "image": "img:2"}},
		{"plan", launchpad.Tenant{Plan: "pro", Image: "img:1"}, launchpad.AuditPlanChanged,
			map[string]string{"plan": "pro", "image": "img:1", "previous_plan": "starter"}},
		{"rebuild and plan", launchpad.Tenant{Plan: "pro", Image: "img:1", RebuildGeneration: 2}, launchpad.AuditTenantRebuilt,
			map[string]string{"plan": "pro", "image": "img:1", "previous_plan": "starter", "generation": "2"}},
	}
	for _, c := range cases {
		after := c.after
		after.AppName, after.UserID = before.AppName, before.UserID
		ev := tenant.UpdatedEvent(before, &after)
		if ev.Stream != "alice01" || ev.Target != before.AppName || ev.Action != c.action || !maps.Equal(ev.Details, c.details) {
			t.Errorf("%s: %+v, want %s %v", c.name, ev, c.action, c.details)
		}
	}
	created := tenant.CreatedEvent(&launchpad.Tenant{AppName: "a", UserID: "u", Plan: "starter", Region: "iad", KeySource: launchpad.KeySourceSubKey})
	if created.Action != launchpad.AuditTenantCreated || !maps.Equal(created.Details, map[string]string{"plan": "starter", "region": "iad", "key_source": "subkey"}) {
		t.Errorf("created: %+v", created)
	}
	if d := tenant.DestroyedEvent(before); d.Action != launchpad.AuditTenantDestroyed || d.Target != before.AppName || d.Details != nil {
		t.Errorf("destroyed: %+v", d)
	}
}
