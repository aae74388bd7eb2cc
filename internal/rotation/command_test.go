package rotation

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// runCommand runs rotate-secret with env as its whole environment.
func runCommand(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runRotateSecret(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommandRotatesAndPrintsCounts(t *testing.T) {
	db, path := openSQLite(t)
	oldKR := mustKeyring(t, oldSecret, "")
	seedUsers(t, db, oldKR, 12)
	bad := mustSeal(t, mustKeyring(t, thirdSecret, ""), "sk-byok-plaintext-foreign", userID(5))
	mustUpdate(t, db, userID(5), func(u *launchpad.User) { u.BYOKKey = bad })
	env := map[string]string{
		"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret,
		"LAUNCHPAD_STORE": "sqlite://" + path, "USER": "alice",
	}

	code, stdout, stderr := runCommand(t, env, "-batch-size", "5")
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	if code != 1 {
		t.Fatalf("exit code %d; want 1 because one credential does not open", code)
	}
	for _, want := range []string{"rotation complete", "users scanned:           12", "credentials re-sealed:   23", "failed to open:          1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if !strings.Contains(stderr, "user "+userID(5)+", field byok_key: does not open") || !strings.Contains(stderr, "rotate-secret: 12 users scanned") {
		t.Errorf("stderr does not name the failed credential or print a progress line:\n%s", stderr)
	}
	checkNoSecretIn(t, stdout+stderr, allUsers(t, db))

	events, err := db.ListAudit(context.Background(), launchpad.AuditFilter{Stream: launchpad.PlatformStream})
	if err != nil || len(events) != 1 {
		t.Fatalf("audit: %v, %d events", err, len(events))
	}
	if e := events[0]; e.Actor != "operator:alice" || e.Details["previous_key_id"] != oldKR.CurrentKeyID() || e.Details["failed"] != "1" {
		t.Fatalf("audit event %+v", e)
	}

	// The broken credential is replaced (the user stores a new BYOK key): the next run exits 0.
	mustUpdate(t, db, userID(5), func(u *launchpad.User) {
		u.BYOKKey = mustSeal(t, mustKeyring(t, newSecret, ""), byokPlaintext(u.ID), u.ID)
	})
	code, stdout, stderr = runCommand(t, env, "-progress", "none")
	if code != 0 || !strings.Contains(stdout, "credentials re-sealed:   0") || !strings.Contains(stdout, "already current:         24") {
		t.Fatalf("second run: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestCommandProgressBar(t *testing.T) {
	db, path := openSQLite(t)
	seedUsers(t, db, mustKeyring(t, oldSecret, ""), 7)
	env := map[string]string{"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret}
	code, stdout, stderr := runCommand(t, env, "-store", path, "-progress", "bar", "-workers", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The bar counts users out of the total it counted first.
	if !strings.Contains(stderr, "7/7") || !strings.Contains(stderr, "re-sealing") {
		t.Fatalf("no progress bar on stderr:\n%q", stderr)
	}
}

func TestCommandUsageErrors(t *testing.T) {
	path := t.TempDir() + "/launchpad.db"
	short := "too-short-secret-value"
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no secret", map[string]string{"PLATFORM_SECRET_PREVIOUS": oldSecret}, nil, "PLATFORM_SECRET is not set"},
		{"no previous", map[string]string{"PLATFORM_SECRET": newSecret}, nil, "PLATFORM_SECRET_PREVIOUS is not set"},
		{"short secret", map[string]string{"PLATFORM_SECRET": short, "PLATFORM_SECRET_PREVIOUS": oldSecret}, nil, "PLATFORM_SECRET is shorter than 32 bytes"},
		{"short previous", map[string]string{"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": short}, nil, "PLATFORM_SECRET_PREVIOUS is shorter than 32 bytes"},
		{"same secrets", map[string]string{"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": newSecret}, nil, "PLATFORM_SECRET_PREVIOUS equals PLATFORM_SECRET"},
		{"secret as an argument", map[string]string{"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret}, []string{thirdSecret}, "takes no arguments"},
		{"secret as a flag", map[string]string{"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret}, []string{"-platform-secret=" + thirdSecret}, "flag provided but not defined: -platform-secret"},
		{"batch size", map[string]string{"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret}, []string{"-batch-size", "0"}, "-batch-size 0 is out of range"},
		{"bad store", map[string]string{"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret, "LAUNCHPAD_STORE": "mysql://x"}, nil, "is not a store URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.env["LAUNCHPAD_STORE"] == "" {
				c.env["LAUNCHPAD_STORE"] = path
			}
			code, stdout, stderr := runCommand(t, c.env, c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, c.want)
			}
			for _, s := range []string{oldSecret, newSecret, thirdSecret, short} {
				if strings.Contains(stdout+stderr, s) {
					t.Fatalf("the output echoes a secret value:\n%s", stderr)
				}
			}
		})
	}
}

// --rotate-keys without SMTP marks the TOTP factors sealed under the leaked secret and
// prints whom to tell, with no secret in the output; a Fly token without its org is a usage
// error naming what to set.
func TestCommandRotateKeysWithoutSMTPPrintsWhomToTell(t *testing.T) {
	db, path := openSQLite(t)
	oldKR := mustKeyring(t, oldSecret, "")
	ctx := context.Background()
	if err := db.CreateUser(ctx, &launchpad.User{ID: "tina01", Email: "tina@example.com", Plan: launchpad.TrialPlan,
		MFA: launchpad.MFA{SealedSecret: mustSeal(t, oldKR, "JBSWY3DPEHPK3PXP", "tina01"), Confirmed: true}}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PLATFORM_SECRET": newSecret, "PLATFORM_SECRET_PREVIOUS": oldSecret,
		"LAUNCHPAD_STORE": "sqlite://" + path, "USER": "alice",
	}
	code, stdout, stderr := runCommand(t, env, "--rotate-keys", "-progress", "none")
	if code != 0 || !strings.Contains(stdout, "TOTP factors marked:     1") ||
		!strings.Contains(stdout, "tell user tina01 <tina@example.com>") || !strings.Contains(stdout, "LAUNCHPAD_SMTP_URL") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "JBSWY3DPEHPK3PXP") {
		t.Fatal("the output holds the TOTP secret")
	}
	if u, _ := db.GetUser(ctx, "tina01"); !u.MFA.ReenrolRequired {
		t.Fatal("tina's factor is not marked")
	}
	code, stdout, _ = runCommand(t, env, "--rotate-keys", "-progress", "none")
	if code != 0 || !strings.Contains(stdout, "TOTP factors marked:     0") {
		t.Fatalf("second run: exit %d\n%s", code, stdout)
	}

	env["FLY_API_TOKEN"] = "fo1_not-a-real-token"
	if code, _, stderr := runCommand(t, env, "--rotate-keys"); code != 2 || !strings.Contains(stderr, "FLY_ORG") || strings.Contains(stderr, "fo1_not-a-real-token") {
		t.Fatalf("a Fly token without FLY_ORG: exit %d, %s", code, stderr)
	}
}
