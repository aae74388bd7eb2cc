package sqlite_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

// TestEraseUserLeavesNothingInTheFiles writes a user's email many times (updates, sessions,
// devices, a sign-in code, a Stripe payload), erases the user and searches the database file
// and its write-ahead log byte by byte while the store is still open: secure_delete overwrote
// the freed space and the log was truncated. Another user's email is still there, so the
// search itself can find what it looks for.
func TestEraseUserLeavesNothingInTheFiles(t *testing.T) {
	ctx := t.Context()
	db, path := sqlitetest.Open(t, sqlite.Options{})
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"u-gone", "u-stays"} {
		email := id + "-mailbox@example.com"
		if err := db.CreateUser(ctx, &launchpad.User{ID: id, Email: email, Plan: "trial",
			Subscription: launchpad.Subscription{StripeCustomerID: "cus_" + id}}); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			if _, err := db.UpdateUser(ctx, id, func(u *launchpad.User) error { u.Usage.MachineSeconds = float64(i); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.PutSignInCode(ctx, &launchpad.SignInCode{Email: email, HMAC: []byte("mac"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RecordStripeEvent(ctx, &launchpad.StripeEvent{ID: "evt_" + id, Type: "checkout.session.completed", APIVersion: "2023-10-16",
			Payload:    []byte(`{"customer":"cus_` + id + `","customer_details":{"email":"` + email + `","name":"Ada Lovelace","address":{"line1":"12 St James's Square"}}}`),
			ReceivedAt: now}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.EraseUser(ctx, launchpad.UserErasure{UserID: "u-gone", Email: "u-gone-mailbox@example.com", StripeCustomerID: "cus_u-gone"}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(path + "*")
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"u-gone-mailbox@example.com", "cus_u-gone"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Fatalf("%s still holds %q after the erasure", filepath.Base(f), secret)
			}
		}
		if strings.HasSuffix(f, "-wal") && len(b) != 0 {
			t.Fatalf("the write-ahead log holds %d bytes after the erasure, want it truncated", len(b))
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte("u-stays-mailbox@example.com")) {
		t.Fatal("the other user's email is not found either: the search proves nothing")
	}
}
