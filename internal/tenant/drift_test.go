package tenant_test

import (
	"context"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/tenant"
)

func TestCompareDecidesWhatAnUpdateTouches(t *testing.T) {
	starter := &launchpad.Plan{Name: "starter", VolumeSizeGB: 5, Guest: launchpad.Guest{CPUKind: "shared", CPUs: 1, MemoryMB: 1024}}
	whole := func() *tenant.Boundary {
		return &tenant.Boundary{
			Tenant:       &launchpad.Tenant{MachineID: "m1", VolumeID: "v1", IPv4: "10.0.0.1", IPv6: "fdaa::1", SecretDigest: "d1"},
			VolumeSizeGB: 5,
			Guest:        starter.Guest,
		}
	}
	v := func(n int64) *int64 { return &n }
	applied := tenant.Settings{Plan: "starter", Image: "img:1", SubKeyHash: "h1", BYOKKeyVersion: v(1)}

	cases := []struct {
		name  string
		found func(*tenant.Boundary)
		want  func(*tenant.Wanted)
		plan  *launchpad.Plan
		drift tenant.Drift
	}{
		{name: "nothing changed", plan: starter},
		{name: "nothing changed, plan record not there yet"},
		{name: "machine deleted", found: func(b *tenant.Boundary) { b.Tenant.MachineID = ""; b.Guest = launchpad.Guest{} }, plan: starter,
			drift: tenant.Drift{Machine: true, Guest: true}},
		{name: "volume deleted", found: func(b *tenant.Boundary) { b.Tenant.VolumeID = ""; b.VolumeSizeGB = 0 }, plan: starter,
			drift: tenant.Drift{Machine: true, Guest: true, Volume: true, VolumeSize: true}},
		{name: "IPv4 lost", found: func(b *tenant.Boundary) { b.Tenant.IPv4 = "" }, plan: starter, drift: tenant.Drift{IPv4: true}},
		{name: "IPv6 lost", found: func(b *tenant.Boundary) { b.Tenant.IPv6 = "" }, plan: starter, drift: tenant.Drift{IPv6: true}},
		{name: "secret lost", found: func(b *tenant.Boundary) { b.Tenant.SecretDigest = "" }, plan: starter, drift: tenant.Drift{Secret: true}},
		{name: "machine resized outside", found: func(b *tenant.Boundary) { b.Guest.MemoryMB = 512 }, plan: starter, drift: tenant.Drift{Guest: true}},
		{name: "machine resized outside, plan record unknown", found: func(b *tenant.Boundary) { b.Guest.MemoryMB = 512 }},
		{name: "other plan", want: func(w *tenant.Wanted) { w.Plan = "pro" }, drift: tenant.Drift{Guest: true, VolumeSize: true}},
		{name: "plan not known until apply", want: func(w *tenant.Wanted) { w.Pending.Plan = true }, drift: tenant.Drift{Guest: true, VolumeSize: true}},
		{name: "plan record grew its volume", plan: &launchpad.Plan{Name: "starter", VolumeSizeGB: 8, Guest: starter.Guest}, drift: tenant.Drift{VolumeSize: true}},
		{name: "plan record shrank its volume", plan: &launchpad.Plan{Name: "starter", VolumeSizeGB: 1, Guest: starter.Guest}},
		{name: "plan record resized the machine", plan: &launchpad.Plan{Name: "starter", VolumeSizeGB: 5, Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048}},
			drift: tenant.Drift{Guest: true}},
		{name: "new image", want: func(w *tenant.Wanted) { w.Image = "img:2" }, plan: starter, drift: tenant.Drift{Guest: true}},
		{name: "image not known until apply", want: func(w *tenant.Wanted) { w.Pending.Image = true }, plan: starter, drift: tenant.Drift{Guest: true}},
		{name: "rebuild", want: func(w *tenant.Wanted) { w.RebuildGeneration = 1 }, plan: starter, drift: tenant.Drift{Machine: true, Guest: true}},
		{name: "rebuild generation not known until apply", want: func(w *tenant.Wanted) { w.Pending.RebuildGeneration = true }, plan: starter,
			drift: tenant.Drift{Machine: true, Guest: true}},
		{name: "other sub-key", want: func(w *tenant.Wanted) { w.SubKeyHash = "h2" }, plan: starter, drift: tenant.Drift{Secret: true}},
		{name: "sub-key rotated in the same apply", want: func(w *tenant.Wanted) { w.Pending.SubKeyHash = true }, plan: starter, drift: tenant.Drift{Secret: true}},
		{name: "sub-key removed", want: func(w *tenant.Wanted) { w.SubKeyHash = "" }, plan: starter, drift: tenant.Drift{Secret: true}},
		{name: "BYOK version bumped", want: func(w *tenant.Wanted) { w.BYOKKeyVersion = v(2) }, plan: starter, drift: tenant.Drift{Secret: true}},
		{name: "BYOK version removed", want: func(w *tenant.Wanted) { w.BYOKKeyVersion = nil }, plan: starter, drift: tenant.Drift{Secret: true}},
		{name: "BYOK version not known until apply", want: func(w *tenant.Wanted) { w.Pending.BYOKKeyVersion = true }, plan: starter, drift: tenant.Drift{Secret: true}},
		{name: "BYOK version the same number", want: func(w *tenant.Wanted) { w.BYOKKeyVersion = v(1) }, plan: starter},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			found := whole()
			if c.found != nil {
				c.found(found)
			}
			want := tenant.Wanted{Settings: applied}
			if c.want != nil {
				c.want(&want)
			}
			d := tenant.Compare(found, applied, want, c.plan)
			if d != c.drift {
				t.Errorf("Compare = %+v, want %+v", d, c.drift)
			}
			if d.Any() != (c.drift != tenant.Drift{}) {
				t.Errorf("Any() = %v for %+v", d.Any(), d)
			}
		})
	}
}

// A key the tenant can no longer be given (its sub-key revoked and forgotten, no BYOK key, a
// paid plan) counts as moved, so the apply reports why instead of the plan showing nothing.
func TestDriftSeesAKeySourceThatCanNoLongerBeResolved(t *testing.T) {
	ctx := context.Background()
	w, svc, b, hash := alice(t)
	applied := appliedSettings(b)
	if d := svc.Drift(ctx, refresh(t, svc, b), applied, tenant.Wanted{Settings: applied}, w.Starter); d.Any() {
		t.Fatalf("right after the create: %+v", d)
	}
	if _, err := w.Store.UpdateUser(ctx, "alice01", func(u *launchpad.User) error {
		u.OpenRouterKey, u.OpenRouterKeyHash = "", ""
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if d := svc.Drift(ctx, refresh(t, svc, b), applied, tenant.Wanted{Settings: applied}, w.Starter); d != (tenant.Drift{Secret: true}) {
		t.Errorf("with sub-key %s gone from the user: %+v, want the secret to change", hash, d)
	}
}
