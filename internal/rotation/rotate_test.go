package rotation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// credentialsInCoreTest is the size the issue asks for: 10,000 stored credentials, a sealed
// sub-key and a sealed BYOK key for each of 5,000 users.
const credentialsInCoreTest = 10_000

func TestRotateKilledHalfwayAndResumedSQLite(t *testing.T) {
	skipTheFullRotation(t, "SQLite")
	db, _ := openSQLite(t)
	testKilledHalfwayAndResumed(t, db, credentialsInCoreTest/2, DefaultWorkers)
}

// skipTheFullRotation skips the 10,000-credential rotation on store in -short runs, and under
// the race detector (make test's second pass runs it without), where its crypto takes minutes.
func skipTheFullRotation(t *testing.T, store string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the 10,000-credential rotation on " + store + " runs in the full test suite")
	}
	if raceDetector {
		t.Skip("the 10,000-credential rotation runs without the race detector (make test's second pass): under it the crypto takes minutes")
	}
}

// testKilledHalfwayAndResumed is the core rotation test, run on every store: seal n users'
// credentials under the old secret, rotate and kill the run halfway (the context is cancelled
// from the AfterUser hook, deterministically), run it again, and check that every credential
// opens under the new secret alone, none is left under the old key id, the sub-key records
// name the new key id, a third run changes nothing, and the audit records the runs.
func testKilledHalfwayAndResumed(t *testing.T, st launchpad.Store, n, workers int) {
	oldKR := mustKeyring(t, oldSecret, "")
	rotKR := mustKeyring(t, newSecret, oldSecret)
	newOnly := mustKeyring(t, newSecret, "")
	seedUsersParallel(t, st, oldKR, n, workers)
	t.Logf("seeded %d users with %d sealed credentials under key id %s", n, 2*n, oldKR.CurrentKeyID())

	// Run 1: killed after half the users.
	ctx, cancel := context.WithCancel(context.Background())
	killAt := n / 2
	first, err := Rotate(ctx, st, rotKR, Options{Workers: workers, BatchSize: 250, AfterUser: func(handled int) {
		if handled == killAt {
			cancel()
		}
	}})
	cancel()
	if !errors.Is(err, context.Canceled) || launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Fatalf("killed run: err = %v, want an EUNAVAILABLE interruption wrapping context.Canceled", err)
	}
	if first.Complete || first.UsersScanned < killAt || first.UsersScanned >= n {
		t.Fatalf("killed run: complete=%v after %d of %d users; want it stopped at about %d", first.Complete, first.UsersScanned, n, killAt)
	}
	mid := keyIDCounts(t, allUsers(t, st))
	if mid[oldKR.CurrentKeyID()] == 0 || mid[newOnly.CurrentKeyID()] == 0 {
		t.Fatalf("after the kill the store should hold credentials under both key ids, got %v", mid)
	}
	// A transaction in flight at the kill may commit although its worker saw the cancellation
	// (at most one user of two credentials per worker): the store, not the report, is the truth.
	if got := mid[newOnly.CurrentKeyID()]; got < first.Resealed || got > first.Resealed+2*workers {
		t.Fatalf("after the kill %d credentials are under the new key id, but the run reported %d re-sealed", got, first.Resealed)
	}
	checkAllOpenUnder(t, st, rotKR, allUsers(t, st)) // mid-rotation nothing is unreadable
	t.Logf("killed run: %s", progressLine(first))

	// Run 2: resumes; what run 1 did is skipped (after checking it opens).
	second, err := Rotate(context.Background(), st, rotKR, Options{Workers: workers, BatchSize: 250})
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	t.Logf("resumed run: %s in %s", progressLine(second), second.Elapsed)
	if !second.Complete || second.UsersScanned != n || second.Failed != 0 {
		t.Fatalf("resumed run: %+v; want complete over %d users with no failure", second, n)
	}
	if second.AlreadyCurrent != mid[newOnly.CurrentKeyID()] || second.Resealed != mid[oldKR.CurrentKeyID()] {
		t.Fatalf("resumed run re-sealed %d and found %d current; after the kill %d were under the new key and %d under the old: each should be handled once",
			second.Resealed, second.AlreadyCurrent, mid[newOnly.CurrentKeyID()], mid[oldKR.CurrentKeyID()])
	}

	// Every credential opens under the new secret alone; none is under the old key id.
	users := allUsers(t, st)
	if len(users) != n {
		t.Fatalf("store holds %d users, want %d", len(users), n)
	}
	if got := keyIDCounts(t, users); got[newOnly.CurrentKeyID()] != 2*n || len(got) != 1 {
		t.Fatalf("key ids after rotation: %v; want all %d under %s", got, 2*n, newOnly.CurrentKeyID())
	}
	checkAllOpenUnder(t, st, newOnly, users)
	if _, err := openIn(st, oldKR, users[0].BYOKKey, users[0].ID); err == nil {
		t.Fatal("a re-sealed credential still opens under the old secret")
	}

	// Run 3: idempotent.
	third, err := Rotate(context.Background(), st, rotKR, Options{Workers: workers})
	if err != nil {
		t.Fatalf("third run: %v", err)
	}
	if third.Resealed != 0 || third.UsersUpdated != 0 || third.AlreadyCurrent != 2*n {
		t.Fatalf("third run changed something: %+v", third)
	}

	// The audit has one platform.secret_rotated event per complete run, with the counts.
	events, err := st.ListAudit(context.Background(), launchpad.AuditFilter{Stream: launchpad.PlatformStream})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("platform stream holds %d events, want 2 (the two complete runs)", len(events))
	}
	if err := launchpad.VerifyChain(nil, events); err != nil {
		t.Fatal(err)
	}
	e := events[0]
	if e.Action != launchpad.AuditSecretRotated || e.Details["key_id"] != newOnly.CurrentKeyID() ||
		e.Details["resealed"] != strconv.Itoa(second.Resealed) || e.Details["users_scanned"] != strconv.Itoa(n) || e.Details["failed"] != "0" {
		t.Fatalf("audit event %+v does not record the resumed run", e)
	}
	checkNoSecretIn(t, fmt.Sprint(events), users[:3])
}

// checkNoSecretIn fails if text holds a platform secret or a plaintext credential.
func checkNoSecretIn(t testing.TB, text string, users []*launchpad.User) {
	t.Helper()
	for _, s := range []string{oldSecret, newSecret, thirdSecret, "sk-or-v1-plaintext", "sk-byok-plaintext"} {
		if strings.Contains(text, s) {
			t.Fatalf("a secret or plaintext credential leaked: %q found", s)
		}
	}
	for _, u := range users {
		if strings.Contains(text, u.OpenRouterKey) || strings.Contains(text, u.BYOKKey) {
			t.Fatal("a sealed value leaked")
		}
	}
}

// TestRotateConcurrentWritersLoseNothing runs writers against the same users while the
// rotation runs: each writer counts its own updates into Usage.MachineSeconds of users it
// owns and now and then stores a new BYOK key (sealed under the new secret, as a restarted
// serve would). Afterwards every count and every new key is there: the rotation never wrote
// a stale copy over them.
func TestRotateConcurrentWritersLoseNothing(t *testing.T) {
	const n, writers = 400, 4
	db, _ := openSQLite(t)
	oldKR, rotKR, newOnly := mustKeyring(t, oldSecret, ""), mustKeyring(t, newSecret, oldSecret), mustKeyring(t, newSecret, "")
	seedUsers(t, db, oldKR, n)
	ctx := context.Background()

	var (
		mu       sync.Mutex
		bumps    = map[string]int{}    // user → updates applied
		newBYOK  = map[string]string{} // user → the BYOK plaintext a writer stored last
		done     = make(chan struct{})
		started  = make(chan struct{})
		startOne sync.Once
		wg       sync.WaitGroup
		writes   atomic.Int64
	)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; ; i++ {
				select {
				case <-done:
					if i > 50 {
						return
					}
				default:
				}
				// Writer w owns the users whose number is w mod writers, so its own count
				// of updates per user is exact.
				id := userID(rng.IntN(n/writers)*writers + w)
				var plaintext string
				if i%5 == 0 {
					plaintext = fmt.Sprintf("sk-byok-plaintext-rewritten-%d-%d", w, i)
				}
				_, err := db.UpdateUser(ctx, id, func(u *launchpad.User) error {
					u.Usage.MachineSeconds++
					if plaintext != "" {
						sealed, err := rotKR.Seal([]byte(plaintext), u.ID)
						if err != nil {
							return err
						}
						u.BYOKKey = sealed
					}
					return nil
				})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				mu.Lock()
				bumps[id]++
				if plaintext != "" {
					newBYOK[id] = plaintext
				}
				mu.Unlock()
				writes.Add(1)
				startOne.Do(func() { close(started) })
			}
		})
	}
	<-started
	res, err := Rotate(ctx, db, rotKR, Options{Workers: 4, BatchSize: 50})
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	t.Logf("rotation during %d concurrent writes: %s", writes.Load(), progressLine(res))
	if res.Failed != 0 || !res.Complete {
		t.Fatalf("rotation: %+v", res)
	}

	for _, u := range allUsers(t, db) {
		if got, want := int(u.Usage.MachineSeconds), bumps[u.ID]; got != want {
			t.Fatalf("user %s: %d of %d concurrent updates survived the rotation", u.ID, got, want)
		}
		wantBYOK := byokPlaintext(u.ID)
		if p, ok := newBYOK[u.ID]; ok {
			wantBYOK = p
		}
		got, err := openIn(db, newOnly, u.BYOKKey, u.ID)
		if err != nil || string(got) != wantBYOK {
			t.Fatalf("user %s: BYOK key after rotation = %q, %v; want the last one stored", u.ID, got, err)
		}
		if got, err := openIn(db, newOnly, u.OpenRouterKey, u.ID); err != nil || string(got) != subKeyPlaintext(u.ID) {
			t.Fatalf("user %s: sub-key does not open under the new secret alone: %v", u.ID, err)
		}
	}
}

// TestRotateReportsWhatDoesNotOpen: a credential sealed under a third secret, and one copied
// from another user's record, open under neither key; each is reported by user id and field,
// left as it is, and the run goes on to re-seal everything else.
func TestRotateReportsWhatDoesNotOpen(t *testing.T) {
	const n = 30
	db, _ := openSQLite(t)
	oldKR, rotKR, third := mustKeyring(t, oldSecret, ""), mustKeyring(t, newSecret, oldSecret), mustKeyring(t, thirdSecret, "")
	seedUsers(t, db, oldKR, n)
	ctx := context.Background()

	foreign := mustSeal(t, third, byokPlaintext(userID(3)), userID(3))
	mustUpdate(t, db, userID(3), func(u *launchpad.User) { u.BYOKKey = foreign })
	copied := allUsers(t, db)[8].OpenRouterKey // user 8's sub-key, pasted into user 17's record
	mustUpdate(t, db, userID(17), func(u *launchpad.User) { u.OpenRouterKey = copied })

	var logs strings.Builder
	res, err := Rotate(ctx, db, rotKR, Options{Logger: newTextLogger(&logs)})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if !res.Complete || res.Failed != 2 || res.Resealed != 2*n-2 {
		t.Fatalf("result %+v; want complete, 2 failed, %d re-sealed", res, 2*n-2)
	}
	want := map[Failure]bool{
		{UserID: userID(3), Field: "byok_key"}:        true,
		{UserID: userID(17), Field: "openrouter_key"}: true,
	}
	for _, f := range res.Failures {
		if !want[Failure{UserID: f.UserID, Field: f.Field}] || f.Reason == "" {
			t.Fatalf("unexpected failure report %+v", f)
		}
		delete(want, Failure{UserID: f.UserID, Field: f.Field})
	}
	if len(want) != 0 {
		t.Fatalf("not reported: %v (got %+v)", want, res.Failures)
	}
	users := allUsers(t, db)
	if users[3].BYOKKey != foreign || users[17].OpenRouterKey != copied {
		t.Fatal("a credential that does not open was changed; it must be left as it is")
	}
	if got := keyIDCounts(t, users); got[oldKR.CurrentKeyID()] != 1 || got[third.CurrentKeyID()] != 1 || got[rotKR.CurrentKeyID()] != 2*n-2 {
		t.Fatalf("key ids after rotation: %v", got)
	}
	events, err := db.ListAudit(ctx, launchpad.AuditFilter{Stream: launchpad.PlatformStream})
	if err != nil || len(events) != 1 || events[0].Details["failed"] != "2" {
		t.Fatalf("audit: %v, %+v; want one event recording 2 failed", err, events)
	}
	if res.Activated || events[0].Details["activated"] != "false" {
		t.Fatalf("a rotation with credentials that do not open made the new key active (%+v)", res)
	}
	if rec, _ := db.GetPlatformKeys(ctx); rec.Active != oldKR.CurrentKeyID() || rec.Next != rotKR.CurrentKeyID() {
		t.Fatalf("platform keys after an incomplete rotation: %+v, want the old key active and the new one next", rec)
	}
	checkNoSecretIn(t, logs.String()+fmt.Sprint(res)+fmt.Sprint(events), users[:2])
	if !strings.Contains(logs.String(), userID(17)) {
		t.Fatalf("the log does not name the user whose credential does not open:\n%s", logs.String())
	}
}

// TestRotateStopsOnStoreError: a store that fails is not reported as credentials that do not
// open; the run stops with the error, and a later run finishes.
func TestRotateStopsOnStoreError(t *testing.T) {
	const n = 40
	db, _ := openSQLite(t)
	seedUsers(t, db, mustKeyring(t, oldSecret, ""), n)
	rotKR := mustKeyring(t, newSecret, oldSecret)
	failing := &failingUpdates{Store: db, failOn: userID(25)}
	res, err := Rotate(context.Background(), failing, rotKR, Options{Workers: 1})
	if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE || !strings.Contains(launchpad.ErrorMessage(err), userID(25)) {
		t.Fatalf("err = %v; want the store's EUNAVAILABLE naming the user", err)
	}
	if res.Complete || res.Failed != 0 {
		t.Fatalf("result %+v; want incomplete with no credential reported as failed", res)
	}
	res, err = Rotate(context.Background(), db, rotKR, Options{})
	if err != nil || res.Resealed+res.AlreadyCurrent != 2*n || res.Resealed == 0 {
		t.Fatalf("second run: %+v, %v", res, err)
	}
}

type failingUpdates struct {
	launchpad.Store
	failOn string
}

func (f *failingUpdates) UpdateUser(ctx context.Context, id string, fn func(*launchpad.User) error) (*launchpad.User, error) {
	if id == f.failOn {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "the store is down")
	}
	return f.Store.UpdateUser(ctx, id, fn)
}

func mustUpdate(t testing.TB, st launchpad.Store, id string, fn func(*launchpad.User)) {
	t.Helper()
	if _, err := st.UpdateUser(context.Background(), id, func(u *launchpad.User) error { fn(u); return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestRotateEveryFieldOfSealedFields covers the TOTP secret too, and users with no
// credential at all.
func TestRotateEveryFieldOfSealedFields(t *testing.T) {
	db, _ := openSQLite(t)
	oldKR, rotKR, newOnly := mustKeyring(t, oldSecret, ""), mustKeyring(t, newSecret, oldSecret), mustKeyring(t, newSecret, "")
	ctx := context.Background()
	users := []*launchpad.User{
		{ID: "totp-only", MFA: launchpad.MFA{SealedSecret: mustSeal(t, oldKR, "JBSWY3DPEHPK3PXP", "totp-only"), Confirmed: true}},
		{ID: "nothing-sealed", Plan: "trial"},
		{ID: "all-three", OpenRouterKey: mustSeal(t, oldKR, "a", "all-three"), BYOKKey: mustSeal(t, oldKR, "b", "all-three"),
			MFA: launchpad.MFA{SealedSecret: mustSeal(t, oldKR, "c", "all-three")}},
	}
	for _, u := range users {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Rotate(ctx, db, rotKR, Options{})
	if err != nil || res.Resealed != 4 || res.UsersScanned != 3 || res.UsersUpdated != 2 {
		t.Fatalf("result %+v, %v; want 4 re-sealed over 3 users, 2 updated", res, err)
	}
	for _, u := range allUsers(t, db) {
		for _, p := range u.SealedFields() {
			if _, err := openIn(db, newOnly, *p, u.ID); err != nil {
				t.Fatalf("user %s: %v", u.ID, err)
			}
		}
	}
}

func TestFieldNames(t *testing.T) {
	u := &launchpad.User{OpenRouterKey: "x", BYOKKey: "y", MFA: launchpad.MFA{SealedSecret: "z"}}
	var got []string
	for i, p := range u.SealedFields() {
		got = append(got, fieldName(u, p, i))
	}
	if strings.Join(got, ",") != "openrouter_key,byok_key,mfa.totp_secret" {
		t.Fatalf("field names %v", got)
	}
	other := "w"
	if fieldName(u, &other, 7) != "sealed field 7" {
		t.Fatal("an unknown field should be named by position")
	}
}

// Once rotate-secret has re-sealed everything, the new key is the store's active key and the
// old one retired: a process left with only the old secret can no longer seal anything (it
// would undo the rotation for what it writes), while the new secret alone works.
func TestRotateMakesTheNewKeyActiveAndRetiresTheOld(t *testing.T) {
	ctx := context.Background()
	db, _ := openSQLite(t)
	oldKR, rotKR, newKR := mustKeyring(t, oldSecret, ""), mustKeyring(t, newSecret, oldSecret), mustKeyring(t, newSecret, "")
	if err := oldKR.ClaimStore(ctx, db); err != nil {
		t.Fatal(err)
	}
	seedUsers(t, db, oldKR, 5)
	res, err := Rotate(ctx, db, rotKR, Options{})
	if err != nil || !res.Complete || !res.Activated {
		t.Fatalf("Rotate: %+v, %v; want complete and activated", res, err)
	}
	rec, err := db.GetPlatformKeys(ctx)
	if err != nil || rec.Active != newKR.CurrentKeyID() || rec.Next != "" || len(rec.Retired) != 1 || rec.Retired[0] != oldKR.CurrentKeyID() {
		t.Fatalf("platform keys after the rotation: %+v, %v", rec, err)
	}
	err = oldKR.ClaimStore(ctx, db)
	if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "PLATFORM_SECRET") || !strings.Contains(err.Error(), "retired") {
		t.Fatalf("the old secret after the rotation: %v, want refused as retired", err)
	}
	if err := newKR.ClaimStore(ctx, db); err != nil {
		t.Fatalf("the new secret alone after the rotation: %v", err)
	}
	// Running it again changes nothing and stays activated.
	if res, err := Rotate(ctx, db, rotKR, Options{}); err != nil || !res.Activated || res.Resealed != 0 {
		t.Fatalf("second run: %+v, %v", res, err)
	}
}

// A rotation whose PLATFORM_SECRET_PREVIOUS is not the store's key is refused before it
// touches a credential.
func TestRotateRefusesAPreviousSecretThatIsNotTheStores(t *testing.T) {
	ctx := context.Background()
	db, _ := openSQLite(t)
	oldKR := mustKeyring(t, oldSecret, "")
	if err := oldKR.ClaimStore(ctx, db); err != nil {
		t.Fatal(err)
	}
	seedUsers(t, db, oldKR, 3)
	_, err := Rotate(ctx, db, mustKeyring(t, newSecret, thirdSecret), Options{})
	if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(err.Error(), "PLATFORM_SECRET") {
		t.Fatalf("Rotate with the wrong previous secret: %v", err)
	}
	if got := keyIDCounts(t, allUsers(t, db)); len(got) != 1 || got[oldKR.CurrentKeyID()] != 6 {
		t.Fatalf("key ids after a refused rotation: %v, want all 6 credentials still under the old key", got)
	}
}
