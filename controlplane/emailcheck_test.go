package controlplane

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite/sqlitetest"
)

func TestServeWarnsOfNonCanonicalEmailsOnlyWhenThereAreSome(t *testing.T) {
	st, _ := sqlitetest.Open(t, sqlite.Options{})
	ctx := context.Background()
	check := func() string {
		var out stacktest.Output
		warnNonCanonicalEmails(ctx, st, slog.New(slog.NewTextHandler(&out, nil)))
		return out.String()
	}
	if err := st.CreateUser(ctx, &launchpad.User{ID: "u1", Email: "victim@example.com", Plan: launchpad.TrialPlan}); err != nil {
		t.Fatal(err)
	}
	if logs := check(); logs != "" {
		t.Fatalf("warned with every address canonical: %s", logs)
	}
	if err := st.CreateUser(ctx, &launchpad.User{ID: "u2", Email: "ｖｉｃｔｉｍ@example.com", Plan: launchpad.TrialPlan}); err != nil {
		t.Fatal(err)
	}
	logs := check()
	if !strings.Contains(logs, "emails -migrate") || !strings.Contains(logs, "collisions=1") {
		t.Fatalf("no warning naming the command and the collision: %q", logs)
	}
}
