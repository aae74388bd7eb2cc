package auth

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sqlite"
)

type nopMetrics struct{}

func (nopMetrics) SignIn(string)       {}
func (nopMetrics) Mail(string, string) {}

// BenchmarkAuthenticate measures the check every request with an access token makes:
// "cached" is the common case (the family read less than FamilyCacheTTL ago), "store" the
// one read per family and TTL from SQLite.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	keyring, _ := envelope.NewKeyring(testSecret, "")
	s, err := New(Config{PublicURL: "http://x", AccessTokenTTL: time.Hour, RefreshTokenTTL: time.Hour, MFATokenTTL: time.Minute,
		StepUpWindow: time.Minute, MailQueueSize: 16},
		Deps{Store: db, Keyring: keyring, Mailer: smtp.NewLogMailer(slog.New(slog.NewTextHandler(io.Discard, nil))), Metrics: nopMetrics{}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	if err := db.CreateUser(ctx, &launchpad.User{ID: "u1", Email: "a@example.com", Plan: launchpad.TrialPlan}); err != nil {
		b.Fatal(err)
	}
	pair, err := s.startSession(ctx, Client{}, "u1", device{fingerprint: "fp", userAgent: "bench"}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		cached bool
	}{{"cached", true}, {"store", false}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if !tc.cached {
					s.families.forgetUser("u1")
				}
				if _, err := s.Authenticate(ctx, Client{}, pair.AccessToken); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("signature_only", func(b *testing.B) { // what the check cost before: the JWT alone
		for b.Loop() {
			if _, err := s.tokens.parse(pair.AccessToken, audienceAccess); err != nil {
				b.Fatal(err)
			}
		}
	})
}
