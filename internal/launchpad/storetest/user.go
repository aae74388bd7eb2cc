package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// users is the users' part of the keyed-record contract.
var users = keyed[launchpad.User]{
	name: "User", keyField: "ID", keys: [2]string{"u1", "u2"},
	fresh: newUser,
	// The email is unique too: a scribbled user's is one no other user has.
	scribble: func(u *launchpad.User) {
		u.Email = "scribbled@example.com"
		u.Plan = "scribbled"
		u.Subscription.Metadata["product"] = "scribbled"
		u.MFA.RecoveryCodes[0] = "scribbled"
	},
	setKey:    func(u *launchpad.User, id string) { u.ID = id },
	updatedAt: func(u *launchpad.User) *time.Time { return &u.UpdatedAt },
	counter:   func(u *launchpad.User) *int64 { return &u.MFA.LastStep },
	create:    launchpad.Store.CreateUser,
	get:       launchpad.Store.GetUser,
	update:    launchpad.Store.UpdateUser,
	list: func(s launchpad.Store, ctx context.Context) ([]*launchpad.User, error) {
		return s.ListUsers(ctx, "", 100)
	},
	findScribbled: func(s launchpad.Store, ctx context.Context) (*launchpad.User, error) {
		return s.GetUserByEmail(ctx, "scribbled@example.com")
	},
}

func userCases() []testCase {
	return []testCase{
		{"user/create_get_roundtrip", testUserRoundTrip},
		{"user/create_sets_timestamps", testUserCreateSetsTimestamps},
		{"user/not_found", testUserNotFound},
		{"user/conflict_id", users.conflict},
		{"user/conflict_email", testUserConflictEmail},
		{"user/conflict_email_concurrent", testUserConflictEmailConcurrent},
		{"user/ensure_concurrent_one_user", testEnsureUserConcurrent},
		{"user/lookup_by_stripe_customer", testUserLookupByStripeCustomer},
		{"user/update", testUserUpdate},
		{"user/update_fn_error_writes_nothing", users.fnError},
		{"user/update_cannot_change_id", users.keyChange},
		{"user/update_email_conflict", testUserUpdateEmailConflict},
		{"user/update_email_frees_old", testUserUpdateEmailFreesOld},
		{"user/update_concurrent_counter", users.updateConcurrent},
		{"user/list_paging", testUserListPaging},
		{"user/records_are_copies", testUserCopies},
		{"user/sealed_credentials_byte_for_byte", testUserSealedRoundTrip},
		{"user/times_utc_microsecond", testUserTimes},
		{"user/tenant_control_roundtrip", testUserTenantControl},
		{"user/mfa_reenrol_roundtrip", testUserMFAReenrol},
		{"user/usage_days_roundtrip", testUserUsageDays},
	}
}

func testUserRoundTrip(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	u := newUser("u1")
	wantOK(t, s.CreateUser(ctx, u), "CreateUser")

	got, err := s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	wantEqual(t, "GetUser", got, newUser("u1"))

	got, err = s.GetUserByEmail(ctx, "u1@example.com")
	wantOK(t, err, "GetUserByEmail")
	wantEqual(t, "GetUserByEmail", got, newUser("u1"))

	got, err = s.GetUserByStripeCustomer(ctx, "cus_u1")
	wantOK(t, err, "GetUserByStripeCustomer")
	wantEqual(t, "GetUserByStripeCustomer", got, newUser("u1"))

	// A user with nothing but an id (created by Terraform alone) round-trips too.
	bare := &launchpad.User{ID: "u2", CreatedAt: at(0), UpdatedAt: at(0)}
	wantOK(t, s.CreateUser(ctx, bare), "CreateUser bare")
	got, err = s.GetUser(ctx, "u2")
	wantOK(t, err, "GetUser bare")
	wantEqual(t, "GetUser bare", got, &launchpad.User{ID: "u2", CreatedAt: at(0), UpdatedAt: at(0)})
}

func testUserCreateSetsTimestamps(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	u := newUser("u1")
	u.CreatedAt, u.UpdatedAt = time.Time{}, time.Time{}
	wantOK(t, s.CreateUser(ctx, u), "CreateUser")
	got, err := s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Fatalf("zero CreatedAt/UpdatedAt were not set: %s / %s", got.CreatedAt, got.UpdatedAt)
	}
	wantUTC(t, "timestamps set by the store", got.CreatedAt, got.UpdatedAt)
}

func testUserNotFound(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateUser(ctx, &launchpad.User{ID: "other"}), "CreateUser without email or customer")

	_, err := s.GetUser(ctx, "missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetUser of a missing id")
	_, err = s.GetUserByEmail(ctx, "missing@example.com")
	wantCode(t, err, launchpad.ENOTFOUND, "GetUserByEmail of a missing email")
	_, err = s.GetUserByEmail(ctx, "")
	wantCode(t, err, launchpad.ENOTFOUND, "GetUserByEmail(\"\") while a user has no email")
	_, err = s.GetUserByStripeCustomer(ctx, "cus_missing")
	wantCode(t, err, launchpad.ENOTFOUND, "GetUserByStripeCustomer of a missing customer")
	_, err = s.GetUserByStripeCustomer(ctx, "")
	wantCode(t, err, launchpad.ENOTFOUND, "GetUserByStripeCustomer(\"\") while a user has no customer")

	called := false
	_, err = s.UpdateUser(ctx, "missing", func(*launchpad.User) error { called = true; return nil })
	wantCode(t, err, launchpad.ENOTFOUND, "UpdateUser of a missing id")
	if called {
		t.Fatal("UpdateUser called fn for a missing user")
	}
	if _, err := s.GetUser(ctx, "missing"); !launchpad.IsNotFound(err) {
		t.Fatalf("UpdateUser of a missing id created it: %v", err)
	}
}

func testUserConflictEmail(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateUser(ctx, newUser("u1")), "CreateUser")
	dup := newUser("u2")
	dup.Email = "u1@example.com"
	err := s.CreateUser(ctx, dup)
	wantCode(t, err, launchpad.ECONFLICT, "CreateUser with a taken email")
	_, err = s.GetUser(ctx, "u2")
	wantCode(t, err, launchpad.ENOTFOUND, "the user refused for its email")

	// Users created by Terraform alone have no email; any number of them may exist.
	for _, id := range []string{"tf1", "tf2", "tf3"} {
		wantOK(t, s.CreateUser(ctx, &launchpad.User{ID: id}), "CreateUser without email "+id)
	}
}

func testUserConflictEmailConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	errs := make([]error, concurrency)
	Race(concurrency, func(i int) {
		u := newUser(fmt.Sprintf("u%02d", i))
		u.Email = "same@example.com"
		errs[i] = s.CreateUser(ctx, u)
	})
	wantOneWinner(t, errs, "concurrent CreateUser calls with one email")
	users, err := s.ListUsers(ctx, "", 100)
	wantOK(t, err, "ListUsers")
	if len(users) != 1 {
		t.Fatalf("%d users stored, want 1", len(users))
	}
}

// testEnsureUserConcurrent: every concurrent first sign-in (or checkout) of one email ends
// with the same user, created exactly once; likewise by id.
func testEnsureUserConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	ids := make([]string, concurrency)
	created := make([]bool, concurrency)
	Race(concurrency, func(i int) {
		var (
			u   *launchpad.User
			err error
		)
		if i%2 == 0 {
			u, created[i], err = launchpad.EnsureUserByEmail(ctx, s, "first@example.com")
		} else {
			u, created[i], err = launchpad.EnsureUserByID(ctx, s, "terraform-user")
		}
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
			return
		}
		ids[i] = u.ID
	})
	byEmail, byID := map[string]bool{}, map[string]bool{}
	nEmail, nID := 0, 0
	for i := range ids {
		if i%2 == 0 {
			byEmail[ids[i]] = true
			nEmail += boolCount(created[i])
		} else {
			byID[ids[i]] = true
			nID += boolCount(created[i])
		}
	}
	if len(byEmail) != 1 || nEmail != 1 {
		t.Errorf("EnsureUserByEmail: callers saw users %v, %d of them created one; want one user created once", byEmail, nEmail)
	}
	if len(byID) != 1 || !byID["terraform-user"] || nID != 1 {
		t.Errorf("EnsureUserByID: callers saw users %v, %d of them created one; want terraform-user created once", byID, nID)
	}
	u, err := s.GetUserByEmail(ctx, "first@example.com")
	wantOK(t, err, "GetUserByEmail")
	if u.Plan != launchpad.TrialPlan {
		t.Errorf("a user made on first sight is on plan %q, want %q", u.Plan, launchpad.TrialPlan)
	}
}

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

func testUserLookupByStripeCustomer(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateUser(ctx, newUser("u1")), "CreateUser u1")
	wantOK(t, s.CreateUser(ctx, newUser("u2")), "CreateUser u2")
	got, err := s.GetUserByStripeCustomer(ctx, "cus_u2")
	wantOK(t, err, "GetUserByStripeCustomer")
	if got.ID != "u2" {
		t.Fatalf("GetUserByStripeCustomer(cus_u2) = %s", got.ID)
	}
	_, err = s.UpdateUser(ctx, "u2", func(u *launchpad.User) error {
		u.Subscription.StripeCustomerID = "cus_new"
		return nil
	})
	wantOK(t, err, "UpdateUser customer")
	_, err = s.GetUserByStripeCustomer(ctx, "cus_u2")
	wantCode(t, err, launchpad.ENOTFOUND, "lookup by the customer id the user no longer has")
	got, err = s.GetUserByStripeCustomer(ctx, "cus_new")
	wantOK(t, err, "GetUserByStripeCustomer new")
	if got.ID != "u2" {
		t.Fatalf("GetUserByStripeCustomer(cus_new) = %s", got.ID)
	}
}

func testUserUpdate(t *testing.T, s launchpad.Store) {
	users.updated(t, s, func(u *launchpad.User) {
		u.Plan = "team"
		u.Subscription.Status = "past_due"
		u.Subscription.Metadata["region"] = "fra"
		u.Usage.MachineSeconds += 60
		u.MFA.RecoveryCodes = u.MFA.RecoveryCodes[1:]
		u.BYOKKey = ""
	})
}

func testUserUpdateEmailConflict(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateUser(ctx, newUser("u1")), "CreateUser u1")
	wantOK(t, s.CreateUser(ctx, newUser("u2")), "CreateUser u2")
	_, err := s.UpdateUser(ctx, "u2", func(u *launchpad.User) error {
		u.Email = "u1@example.com"
		u.Plan = "team"
		return nil
	})
	wantCode(t, err, launchpad.ECONFLICT, "UpdateUser to a taken email")
	got, err := s.GetUser(ctx, "u2")
	wantOK(t, err, "GetUser u2")
	wantEqual(t, "u2 after the refused email change", got, newUser("u2"))
	got, err = s.GetUserByEmail(ctx, "u1@example.com")
	wantOK(t, err, "GetUserByEmail u1")
	if got.ID != "u1" {
		t.Fatalf("u1's email now finds %s", got.ID)
	}
}

func testUserUpdateEmailFreesOld(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantOK(t, s.CreateUser(ctx, newUser("u1")), "CreateUser u1")
	_, err := s.UpdateUser(ctx, "u1", func(u *launchpad.User) error {
		u.Email = "renamed@example.com"
		return nil
	})
	wantOK(t, err, "UpdateUser email")
	_, err = s.GetUserByEmail(ctx, "u1@example.com")
	wantCode(t, err, launchpad.ENOTFOUND, "lookup by the old email")
	got, err := s.GetUserByEmail(ctx, "renamed@example.com")
	wantOK(t, err, "lookup by the new email")
	if got.ID != "u1" {
		t.Fatalf("new email finds %s", got.ID)
	}
	other := newUser("u2")
	other.Email = "u1@example.com"
	wantOK(t, s.CreateUser(ctx, other), "CreateUser with the freed email")

	// Clearing the email is allowed, also for several users.
	for _, id := range []string{"u1", "u2"} {
		_, err := s.UpdateUser(ctx, id, func(u *launchpad.User) error { u.Email = ""; return nil })
		wantOK(t, err, "UpdateUser clearing the email of "+id)
	}
}

func testUserListPaging(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	var ids []string
	for i := range 25 {
		ids = append(ids, fmt.Sprintf("u-%02d", i))
	}
	shuffled := slices.Clone(ids)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, id := range shuffled {
		wantOK(t, s.CreateUser(ctx, newUser(id)), "CreateUser "+id)
	}

	var listed []string
	after := ""
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("ListUsers paging does not end")
		}
		users, err := s.ListUsers(ctx, after, 10)
		wantOK(t, err, "ListUsers")
		if len(users) > 10 {
			t.Fatalf("ListUsers(limit 10) returned %d users", len(users))
		}
		if len(users) == 0 {
			break
		}
		for _, u := range users {
			listed = append(listed, u.ID)
		}
		after = users[len(users)-1].ID
	}
	if !slices.Equal(listed, ids) {
		t.Fatalf("paging listed %v, want %v", listed, ids)
	}

	users, err := s.ListUsers(ctx, "u-05x", 3) // an afterID that is not a user
	wantOK(t, err, "ListUsers after a non-existent id")
	if got := userIDs(users); !slices.Equal(got, []string{"u-06", "u-07", "u-08"}) {
		t.Fatalf("ListUsers(after u-05x, 3) = %v", got)
	}
	users, err = s.ListUsers(ctx, "", 1)
	wantOK(t, err, "ListUsers first")
	wantEqual(t, "first listed user", users, []*launchpad.User{newUser("u-00")})
}

func userIDs(users []*launchpad.User) []string {
	return fields(users, func(u *launchpad.User) string { return u.ID })
}

func testUserCopies(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	in := newUser("u1")
	wantOK(t, s.CreateUser(ctx, in), "CreateUser")
	scribble := users.scribble
	check := func(after string) {
		t.Helper()
		got, err := s.GetUser(ctx, "u1")
		wantOK(t, err, "GetUser")
		want := newUser("u1")
		want.UpdatedAt = got.UpdatedAt // UpdateUser below changes it
		wantEqual(t, "stored user after mutating "+after, got, want)
	}

	scribble(in)
	check("CreateUser's argument")

	got, err := s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	scribble(got)
	check("GetUser's result")

	list, err := s.ListUsers(ctx, "", 10)
	wantOK(t, err, "ListUsers")
	scribble(list[0])
	check("ListUsers' result")

	got, err = s.GetUserByEmail(ctx, "u1@example.com")
	wantOK(t, err, "GetUserByEmail")
	scribble(got)
	check("GetUserByEmail's result")

	upd, err := s.UpdateUser(ctx, "u1", func(u *launchpad.User) error { return nil })
	wantOK(t, err, "UpdateUser")
	scribble(upd)
	check("UpdateUser's result")
}

func testUserSealedRoundTrip(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	u := newUser("u1")
	u.OpenRouterKey = sealedLike(11, 4096)
	u.BYOKKey = sealedLike(12, 4096)
	u.MFA.SealedSecret = sealedLike(13, 4096)
	want := []string{u.OpenRouterKey, u.BYOKKey, u.MFA.SealedSecret}
	wantOK(t, s.CreateUser(ctx, u), "CreateUser")

	got, err := s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	for i, f := range got.SealedFields() {
		if *f != want[i] {
			t.Fatalf("sealed field %d changed in the store: %d bytes in, %d bytes out", i, len(want[i]), len(*f))
		}
	}
	// Re-sealing (rotate-secret) writes them back through UpdateUser.
	next := []string{sealedLike(21, 4096), sealedLike(22, 4096), sealedLike(23, 4096)}
	_, err = s.UpdateUser(ctx, "u1", func(u *launchpad.User) error {
		for i, f := range u.SealedFields() {
			*f = next[i]
		}
		return nil
	})
	wantOK(t, err, "UpdateUser re-seal")
	got, err = s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	fields := got.SealedFields()
	if len(fields) != 3 {
		t.Fatalf("%d sealed fields after re-seal, want 3", len(fields))
	}
	for i, f := range fields {
		if *f != next[i] {
			t.Fatalf("re-sealed field %d changed in the store", i)
		}
	}
}

func testUserTimes(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	// Nanoseconds and a zone other than UTC: stores keep at least microseconds, return UTC.
	in := time.Date(2041, time.July, 1, 23, 59, 58, 123456789, elsewhere)
	u := newUser("u1")
	u.CreatedAt = in
	u.UpdatedAt = in
	u.Subscription.CurrentPeriodEnd = in
	u.Subscription.CanceledAt = time.Time{}
	u.Usage.MeteredUntil = in
	u.MFA.EnrolledAt = in
	wantOK(t, s.CreateUser(ctx, u), "CreateUser")
	got, err := s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	wantMicro(t, "CreatedAt", got.CreatedAt, in)
	wantMicro(t, "UpdatedAt", got.UpdatedAt, in)
	wantMicro(t, "Subscription.CurrentPeriodEnd", got.Subscription.CurrentPeriodEnd, in)
	wantMicro(t, "Usage.MeteredUntil", got.Usage.MeteredUntil, in)
	wantMicro(t, "MFA.EnrolledAt", got.MFA.EnrolledAt, in)
	if !got.Subscription.CanceledAt.IsZero() {
		t.Errorf("a zero CanceledAt came back as %s", got.Subscription.CanceledAt)
	}
	wantUTC(t, "every user time", got.Subscription.CurrentPeriodStart, got.Subscription.PastDueSince,
		got.Subscription.EventCreated, got.Usage.CycleStart, got.Usage.CycleEnd, got.Usage.RunningSince,
		got.Usage.CappedAt, got.Usage.SpendExhaustedAt)
	// The time before 1970 and the Unix epoch itself are times like any other.
	_, err = s.UpdateUser(ctx, "u1", func(u *launchpad.User) error {
		u.Usage.CycleStart = time.Unix(0, 0)
		u.Usage.CycleEnd = time.Date(1969, time.December, 31, 23, 0, 0, 1000, time.UTC)
		return nil
	})
	wantOK(t, err, "UpdateUser")
	got, err = s.GetUser(ctx, "u1")
	wantOK(t, err, "GetUser")
	if !got.Usage.CycleStart.Equal(time.Unix(0, 0)) || got.Usage.CycleStart.IsZero() {
		t.Errorf("the Unix epoch came back as %s", got.Usage.CycleStart)
	}
	wantMicro(t, "a time before 1970", got.Usage.CycleEnd, time.Date(1969, time.December, 31, 23, 0, 0, 1000, time.UTC))
}
