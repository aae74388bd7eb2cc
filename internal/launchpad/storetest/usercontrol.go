package storetest

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// testUserTenantControl: the tenant's generations and suspension (User.Control) survive a
// round trip, a bump through UpdateUser, and a suspension being lifted (a zero time comes
// back zero); and a user stored without them (a seed document, a record from before the
// field existed) reads as nothing asked yet.
func testUserTenantControl(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	u := newUser("u1")
	u.Control = launchpad.TenantControl{KeyRotationGeneration: 7, RebuildGeneration: 1 << 40, SuspendedAt: at(90 * time.Minute)}
	wantOK(t, s.CreateUser(ctx, u), "CreateUser")
	got, err := s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	wantEqual(t, "User.Control after CreateUser", got.Control, u.Control)

	updated, err := s.UpdateUser(ctx, "u1", func(u *launchpad.User) error {
		u.Control.KeyRotationGeneration++
		u.Control.RebuildGeneration++
		u.Control.SuspendedAt = time.Time{}
		return nil
	})
	wantOK(t, err, "UpdateUser bumping the generations and lifting the suspension")
	want := launchpad.TenantControl{KeyRotationGeneration: 8, RebuildGeneration: 1<<40 + 1}
	wantEqual(t, "User.Control returned by UpdateUser", updated.Control, want)
	got, err = s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser after UpdateUser")
	wantEqual(t, "User.Control after UpdateUser", got.Control, want)

	// Changing something else keeps them.
	_, err = s.UpdateUser(ctx, "u1", func(u *launchpad.User) error { u.Plan = "team"; return nil })
	wantOK(t, err, "UpdateUser of the plan")
	got, err = s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser after a plan change")
	wantEqual(t, "User.Control after an unrelated update", got.Control, want)

	wantOK(t, s.CreateUser(ctx, &launchpad.User{ID: "bare"}), "CreateUser without Control")
	bare, err := s.GetUser(ctx, "bare")
	wantOK(t, err, "GetUser bare")
	wantEqual(t, "User.Control of a user stored without it", bare.Control, launchpad.TenantControl{})
}
