package openrouter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack/stacktest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// mintedKey is a key a hostile server "mints" and echoes; it must never surface either.
const mintedKey = "sk-or-v1-minted-aaaabbbbccccddddeeeeffff0000111122223333"

// mintedKeyOddShape is a plaintext that does not look like an OpenRouter key: only never
// copying a 2xx body (rather than pattern redaction) keeps it out. Error messages of the API
// are shown (the brief wants "the API's message"), so the echoes of error answers carry
// secrets the client can recognise: the management key and key-shaped plaintexts.
const mintedKeyOddShape = "PLAINTEXT-9f8e7d6c5b4a39281706"

func runEveryMethod(c *Client) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["CreateKey"] = c.CreateKey(ctx, launchpad.KeySpec{Name: "lp-sub-u1", LimitUSD: ptr(10.0), LimitReset: "monthly"})
	_, errs["GetKey"] = c.GetKey(ctx, "h1")
	_, errs["ListKeys"] = c.ListKeys(ctx)
	_, errs["UpdateKey"] = c.UpdateKey(ctx, "h1", launchpad.KeyUpdate{LimitUSD: ptr(20.0), Name: ptr("n")})
	errs["DeleteKey"] = c.DeleteKey(ctx, "h1")
	return errs
}

// A hostile server echoes the management key, the request and minted plaintexts into every
// answer, in every failure shape. No error text and no log line may hold any of them.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	echo := func(r *http.Request) string {
		body, _ := io.ReadAll(r.Body)
		return r.Header.Get("Authorization") + " " + string(body) + " " + mintedKey
	}
	answers := map[string]http.HandlerFunc{
		"400 nested message": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":{"code":400,"message":%q}}`, echo(r))
		},
		"401 string error": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error":%q}`, echo(r))
		},
		"404": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(404)
			fmt.Fprintf(w, `{"error":{"message":%q}}`, echo(r))
		},
		"429": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			fmt.Fprintf(w, `{"message":%q}`, echo(r))
		},
		"500 plain text": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			_, _ = io.WriteString(w, echo(r))
		},
		"2xx truncated after the key": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			fmt.Fprintf(w, `{"key":%q,"data":{"hash":`, mintedKeyOddShape)
		},
		"2xx key without hash": func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				w.WriteHeader(201)
				fmt.Fprintf(w, `{"key":%q,"data":{"name":"lp-sub-u1"}}`, mintedKeyOddShape)
				return
			}
			w.WriteHeader(500)
			_, _ = io.WriteString(w, echo(r))
		},
		"dropped": func(w http.ResponseWriter, r *http.Request) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		},
	}
	for name, h := range answers {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			var logs stacktest.Output
			c, err := New(Config{
				BaseURL: srv.URL + "/api/v1", ManagementKey: testManagementKey, Timeout: time.Second,
				Retry:  RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Millisecond},
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			})
			if err != nil {
				t.Fatal(err)
			}
			for method, err := range runEveryMethod(c) {
				if err == nil {
					if !strings.HasPrefix(name, "2xx") {
						t.Errorf("%s: no error from a server that only fails", method)
					}
					continue
				}
				for _, text := range []string{err.Error(), launchpad.ErrorMessage(err)} {
					for _, secret := range []string{testManagementKey, mintedKey, mintedKeyOddShape} {
						if strings.Contains(text, secret) {
							t.Errorf("%s: error holds a secret: %s", method, text)
						}
					}
				}
			}
			out := logs.String()
			for _, secret := range []string{testManagementKey, mintedKey, mintedKeyOddShape} {
				if strings.Contains(out, secret) {
					t.Errorf("logs hold a secret:\n%s", out)
				}
			}
		})
	}
}

// A successful mint logs nothing of the plaintext either.
func TestMintedKeyNeverLogged(t *testing.T) {
	s := startSim(t)
	var logs stacktest.Output
	c, _ := simClient(t, s, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	s.Sim.ScriptFaults("POST /api/v1/keys", simtest.DropAfter())
	k, err := c.CreateKey(context.Background(), launchpad.KeySpec{Name: "lp-sub-u1"})
	if err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); strings.Contains(out, k.Key) || strings.Contains(out, testManagementKey) || !strings.Contains(out, "deleted a key whose plaintext was lost") {
		t.Errorf("logs:\n%s", out)
	}
}
