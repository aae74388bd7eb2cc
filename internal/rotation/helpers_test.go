package rotation

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope/envelopetest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// Test secrets: 48 bytes each, as `openssl rand -base64 36` would give.
const (
	oldSecret   = "old-secret-0123456789abcdefghijklmnopqrstuvwxyzAB"
	newSecret   = "new-secret-0123456789abcdefghijklmnopqrstuvwxyzAB"
	thirdSecret = "third-secret-0123456789abcdefghijklmnopqrstuvwxyz"
)

// mustKeyring returns the keyring for secret and previous, failing the test if either is refused.
var mustKeyring = envelopetest.Keyring

// openSQLite opens a fresh SQLite store in the test's temporary directory.
func openSQLite(t testing.TB) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "launchpad.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, path
}

func userID(i int) string { return fmt.Sprintf("u%06d", i) }

// Plaintexts are derived from the user id, so a test can check that a re-sealed value is
// still the same credential (and of the same user).
func subKeyPlaintext(id string) string { return "sk-or-v1-plaintext-subkey-of-" + id }
func byokPlaintext(id string) string   { return "sk-byok-plaintext-of-" + id }
func subKeyHash(id string) string      { return "hash-" + id }

// seedUsers stores n users, each with an OpenRouter sub-key and a BYOK key sealed under kr
// (2n credentials), and a sub-key record naming kr's key id.
func seedUsers(t testing.TB, st launchpad.Store, kr *envelope.Keyring, n int) {
	seedUsersParallel(t, st, kr, n, 1)
}

// seedUsersParallel is seedUsers with several writers, for remote stores.
func seedUsersParallel(t testing.TB, st launchpad.Store, kr *envelope.Keyring, n, writers int) {
	t.Helper()
	ctx := context.Background()
	ids := make(chan int)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for i := range ids {
				if err := seedUser(ctx, st, kr, userID(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range n {
		select {
		case ids <- i:
		case err := <-errs:
			close(ids)
			wg.Wait()
			t.Fatal(err)
		}
	}
	close(ids)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

func seedUser(ctx context.Context, st launchpad.Store, kr *envelope.Keyring, id string) error {
	sub, err := kr.Seal([]byte(subKeyPlaintext(id)), id)
	if err != nil {
		return err
	}
	byok, err := kr.Seal([]byte(byokPlaintext(id)), id)
	if err != nil {
		return err
	}
	u := &launchpad.User{ID: id, Email: id + "@example.com", Plan: "pro", OpenRouterKey: sub, OpenRouterKeyHash: subKeyHash(id), BYOKKey: byok}
	if err := st.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("CreateUser %s: %w", id, err)
	}
	if err := st.CreateSubKey(ctx, &launchpad.SubKey{Hash: subKeyHash(id), UserID: id, Plan: "pro", Name: "lp-" + id}); err != nil {
		return fmt.Errorf("CreateSubKey %s: %w", id, err)
	}
	return nil
}

func mustSeal(t testing.TB, kr *envelope.Keyring, plaintext, id string) string {
	t.Helper()
	s, err := kr.Seal([]byte(plaintext), id)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return s
}

// allUsers reads every user.
func allUsers(t testing.TB, st launchpad.Store) []*launchpad.User {
	t.Helper()
	var out []*launchpad.User
	after := ""
	for {
		page, err := st.ListUsers(context.Background(), after, 1000)
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].ID
	}
}

// keyIDCounts counts the sealed fields of users under each key id.
func keyIDCounts(t testing.TB, users []*launchpad.User) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, u := range users {
		for _, p := range u.SealedFields() {
			id, err := envelope.KeyID(*p)
			if err != nil {
				t.Fatalf("user %s holds a malformed sealed value: %v", u.ID, err)
			}
			counts[id]++
		}
	}
	return counts
}

// openIn opens sealed with kr and the user's key material in st (a re-sealed value is v2).
func openIn(st launchpad.UserKeyStore, kr *envelope.Keyring, sealed, userID string) ([]byte, error) {
	return envelope.NewSealer(kr, st).Open(context.Background(), sealed, userID)
}

// checkAllOpenUnder fails unless every credential of every seeded user opens under kr (and
// the users' key material in st) and is the credential it was.
func checkAllOpenUnder(t testing.TB, st launchpad.UserKeyStore, kr *envelope.Keyring, users []*launchpad.User) {
	t.Helper()
	for _, u := range users {
		for field, want := range map[string]string{u.OpenRouterKey: subKeyPlaintext(u.ID), u.BYOKKey: byokPlaintext(u.ID)} {
			got, err := openIn(st, kr, field, u.ID)
			if err != nil {
				t.Fatalf("user %s: a credential does not open under %s: %v", u.ID, kr, err)
			}
			if string(got) != want {
				t.Fatalf("user %s: a credential opened to the wrong plaintext", u.ID)
			}
		}
	}
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
