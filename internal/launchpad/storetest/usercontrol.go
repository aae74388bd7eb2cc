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
	u.Control = launchpad.TenantControl{KeyRotationGeneration: 7, RebuildGeneration: 1 << 40, ResetGeneration: 2, LeakResponseKeyID: "kid-a", SuspendedAt: at(90 * time.Minute)}
	wantOK(t, s.CreateUser(ctx, u), "CreateUser")
	got, err := s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	wantEqual(t, "User.Control after CreateUser", got.Control, u.Control)

	updated, err := s.UpdateUser(ctx, "u1", func(u *launchpad.User) error {
		u.Control.KeyRotationGeneration++
		u.Control.RebuildGeneration++
		u.Control.ResetGeneration++
		u.Control.LeakResponseKeyID = "kid-b"
		u.Control.SuspendedAt = time.Time{}
		return nil
	})
	wantOK(t, err, "UpdateUser bumping the generations and lifting the suspension")
	want := launchpad.TenantControl{KeyRotationGeneration: 8, RebuildGeneration: 1<<40 + 1, ResetGeneration: 3, LeakResponseKeyID: "kid-b"}
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

// testUserMFAReenrol: the TOTP re-enrolment mark (MFA.ReenrolRequired) survives a round
// trip, is set and cleared through UpdateUser, and a user stored without it reads unmarked.
func testUserMFAReenrol(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	u := newUser("u1")
	u.MFA.ReenrolRequired = false
	wantOK(t, s.CreateUser(ctx, u), "CreateUser")
	marked, err := s.UpdateUser(ctx, "u1", func(u *launchpad.User) error { u.MFA.ReenrolRequired = true; return nil })
	wantOK(t, err, "UpdateUser marking the factor")
	wantEqual(t, "MFA.ReenrolRequired returned by UpdateUser", marked.MFA.ReenrolRequired, true)
	got, err := s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser after marking")
	wantEqual(t, "MFA.ReenrolRequired after marking", got.MFA.ReenrolRequired, true)
	wantEqual(t, "MFA.SealedSecret kept by marking", got.MFA.SealedSecret, u.MFA.SealedSecret)

	_, err = s.UpdateUser(ctx, "u1", func(u *launchpad.User) error { u.MFA = launchpad.MFA{SealedSecret: "new"}; return nil })
	wantOK(t, err, "UpdateUser enrolling again")
	got, err = s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser after enrolling again")
	wantEqual(t, "MFA.ReenrolRequired after a new enrolment", got.MFA.ReenrolRequired, false)
}

// testUserUsageDays: the cycle's figures per day (Usage.Days), the spend reading they are
// counted from and the spend warning's mark survive UpdateUser in order, to the microsecond
// and the fraction; a new cycle empties the days but keeps the reading; and a user stored
// without them (a record from before they existed) reads as none.
func testUserUsageDays(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateUser(ctx, &launchpad.User{ID: "u1"}), "CreateUser without usage")
	got, err := s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	wantEqual(t, "Usage of a user stored without it", got.Usage, launchpad.Usage{})

	// Out of order on purpose: AddToDay keeps the days sorted, the store keeps their order.
	var want launchpad.Usage
	add := func(u *launchpad.Usage) {
		u.AddToDay(at(49*time.Hour), 600.5, 0.0001)
		u.AddToDay(at(time.Hour), 3599.75, 1.5)
		u.AddToDay(at(49*time.Hour+time.Minute), 60, 0)
		u.SpendReadingUSD, u.SpendReadingKey, u.SpendWarnedAt = 7.25, "orhash-1", at(2*time.Hour)
	}
	add(&want)
	updated, err := s.UpdateUser(ctx, "u1", func(u *launchpad.User) error { add(&u.Usage); return nil })
	wantOK(t, err, "UpdateUser adding days")
	wantEqual(t, "Usage returned by UpdateUser", updated.Usage, want)
	got, err = s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser after adding days")
	wantEqual(t, "Usage after adding days", got.Usage, want)
	if len(got.Usage.Days) != 2 || !got.Usage.Days[0].Day.Before(got.Usage.Days[1].Day) || got.Usage.Days[1].MachineSeconds != 660.5 {
		t.Fatalf("days came back as %+v, want two days in order, the second with 660.5 s", got.Usage.Days)
	}

	_, err = s.UpdateUser(ctx, "u1", func(u *launchpad.User) error {
		u.Usage = u.Usage.NewCycle(at(72*time.Hour), at(72*time.Hour+30*24*time.Hour))
		return nil
	})
	wantOK(t, err, "UpdateUser starting a new cycle")
	got, err = s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser after a new cycle")
	wantEqual(t, "Usage after a new cycle", got.Usage, launchpad.Usage{
		CycleStart: at(72 * time.Hour), CycleEnd: at(72*time.Hour + 30*24*time.Hour), SpendReadingUSD: 7.25, SpendReadingKey: "orhash-1",
	})
}
