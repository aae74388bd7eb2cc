package controlplane

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// serve with a PLATFORM_SECRET that is not the store's refuses to start, naming the setting,
// before it listens or seals anything.
func TestServeRefusesAnotherStoresPlatformSecret(t *testing.T) {
	dir := t.TempDir()
	storeURL := "sqlite://" + filepath.Join(dir, "lp.db")
	st, err := store.Open(context.Background(), storeURL)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := envelope.NewKeyring("the-stores-own-platform-secret-0123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.ClaimStore(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	st.Close()

	env := map[string]string{
		"PLATFORM_SECRET":    testSecret,
		"LAUNCHPAD_ADDR":     "127.0.0.1:0",
		"LAUNCHPAD_STORE":    storeURL,
		"LAUNCHPAD_TOFU":     fakeTofu(t),
		"LAUNCHPAD_DATA_DIR": filepath.Join(dir, "data"),
		"LAUNCHPAD_SMTP_URL": smtp.LogURL,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stderr := &stacktest.Output{}
	if code := runServe(ctx, nil, func(k string) string { return env[k] }, io.Discard, stderr); code != 1 {
		t.Fatalf("serve exited %d, want 1:\n%s", code, stderr.String())
	}
	logs := stderr.String()
	if !strings.Contains(logs, "PLATFORM_SECRET") || !strings.Contains(logs, kr.CurrentKeyID()) || strings.Contains(logs, "control plane listening") {
		t.Errorf("logs do not name PLATFORM_SECRET and the store's key id before listening:\n%s", logs)
	}
	if strings.Contains(logs, testSecret) {
		t.Error("the platform secret is in the logs")
	}
}
