package emails

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// seeded are the accounts every test starts from: addresses as the store held them before
// canonical emails (trimmed and lower-cased only).
var seeded = []launchpad.User{
	{ID: "u-a", Email: "ｖｉｃｔｉｍ@example.com"}, // a fullwidth look-alike of u-b
	{ID: "u-b", Email: "victim@example.com"}, // canonical already
	{ID: "u-c", Email: "straße@example.com"}, // to rewrite
	{ID: "u-d", Email: "anna@bücher.de"},     // to rewrite: the domain to punycode
	{ID: "u-e", Email: "bob@[127.0.0.1]"},    // invalid now
	{ID: "u-f", Email: "carol@example.com"},  // canonical already
	{ID: "u-g"},                              // made by Terraform alone: no address
	{ID: "u-h", Email: "ｊｏｅ@example.com"},    // collides with u-i;
	{ID: "u-i", Email: "joe@ｅｘａｍｐｌｅ.com"},    // neither is canonical
}

func seed(t *testing.T, st launchpad.UserStore) {
	t.Helper()
	for _, u := range seeded {
		u.Plan = launchpad.TrialPlan
		if err := st.CreateUser(context.Background(), &u); err != nil {
			t.Fatalf("CreateUser %s: %v", u.ID, err)
		}
	}
}

// emailsOf returns every user's stored address by id.
func emailsOf(t *testing.T, st launchpad.UserStore) map[string]string {
	t.Helper()
	users, err := st.ListUsers(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, u := range users {
		out[u.ID] = u.Email
	}
	return out
}

// wantEmails fails unless every seeded user's address is as in seeded, except those in changed.
func wantEmails(t *testing.T, st launchpad.UserStore, changed map[string]string) {
	t.Helper()
	got := emailsOf(t, st)
	for _, u := range seeded {
		want := u.Email
		if c, ok := changed[u.ID]; ok {
			want = c
		}
		if got[u.ID] != want {
			t.Errorf("user %s has address %q, want %q", u.ID, got[u.ID], want)
		}
	}
}

// afterMigrate is what -migrate changes in the seeded store.
var afterMigrate = map[string]string{"u-c": "strasse@example.com", "u-d": "anna@xn--bcher-kva.de"}

func runCommand(t *testing.T, storeURL string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "LAUNCHPAD_STORE" {
			return storeURL
		}
		return ""
	}
	code = run(context.Background(), args, getenv, time.Now, &out, &errOut)
	return code, out.String(), errOut.String()
}
