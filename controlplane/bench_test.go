package controlplane

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

// BenchmarkSendVerification measures send-verification for addresses with and without an
// account. The handler never looks the address up, so the two figures should agree within
// noise; compare them with benchstat over several -count runs.
func BenchmarkSendVerification(b *testing.B) {
	ctx := context.Background()
	srv, db := benchServer(b, Config{MailQueueSize: 1 << 16}, smtp.NewLogMailer(discardLogger()))
	const accounts = 64
	for i := range accounts {
		if err := db.CreateUser(ctx, &launchpad.User{ID: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("known%d@example.com", i), Plan: launchpad.TrialPlan}); err != nil {
			b.Fatal(err)
		}
	}
	for _, kind := range []string{"known", "unknown"} {
		b.Run(kind, func(b *testing.B) {
			i := 0
			for b.Loop() {
				body := fmt.Sprintf(`{"email":"%s%d@example.com"}`, kind, i%accounts)
				i++
				req := httptest.NewRequest(http.MethodPost, "/api/auth/send-verification", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				srv.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusAccepted {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// BenchmarkMe measures GET /api/me with a valid access token, in process: the token check
// (signature, claims, and whether its session is still signed in) plus the account overview
// from the store. Compare runs with benchstat over several -count runs.
func BenchmarkMe(b *testing.B) {
	mailer := newCodeMailer()
	srv, _ := benchServer(b, Config{}, mailer)
	tok := signInThrough(b, srv, mailer, "ada@example.com")
	if tok.AccessToken == "" {
		b.Fatal("no access token")
	}
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

// benchServer is a control plane on a fresh SQLite store, without rate limits, for in-process
// benchmarks; both are closed when b ends.
func benchServer(b *testing.B, cfg Config, mailer launchpad.Mailer) (*Server, *sqlite.DB) {
	b.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	keyring, _ := envelope.NewKeyring(testSecret, "")
	cfg.Addr, cfg.Limits = "127.0.0.1:0", noLimits()
	srv, err := New(cfg, Deps{Store: db, Keyring: keyring, Mailer: mailer})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv, db
}
