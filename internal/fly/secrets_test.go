package fly

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

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// secretValue is the app secret the tests set; like the token it must never surface.
const secretValue = "sk-or-v1-0123456789abcdef0123456789abcdef"

// runEveryMethod calls every Runtime method once and returns their errors by name.
func runEveryMethod(c *Client) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	spec := launchpad.MachineSpec{Name: "agent", Image: "img", Env: map[string]string{"A": "b"}}
	_, errs["CreateApp"] = c.CreateApp(ctx, launchpad.AppSpec{Name: "lp-a-u-1"})
	_, errs["GetApp"] = c.GetApp(ctx, "lp-a-u-1")
	_, errs["ListApps"] = c.ListApps(ctx, "")
	errs["DeleteApp"] = c.DeleteApp(ctx, "lp-a-u-1")
	_, errs["CreateVolume"] = c.CreateVolume(ctx, "lp-a-u-1", launchpad.VolumeSpec{Name: "data", SizeGB: 1, Encrypted: true})
	_, errs["GetVolume"] = c.GetVolume(ctx, "lp-a-u-1", "vol_1")
	_, errs["ListVolumes"] = c.ListVolumes(ctx, "lp-a-u-1")
	_, errs["ExtendVolume"] = c.ExtendVolume(ctx, "lp-a-u-1", "vol_1", 9)
	errs["DeleteVolume"] = c.DeleteVolume(ctx, "lp-a-u-1", "vol_1")
	_, errs["AllocateIP"] = c.AllocateIP(ctx, "lp-a-u-1", launchpad.IPSpec{Type: launchpad.IPv4})
	_, errs["ListIPs"] = c.ListIPs(ctx, "lp-a-u-1")
	errs["ReleaseIP"] = c.ReleaseIP(ctx, "lp-a-u-1", "203.0.113.1")
	_, errs["SetSecret"] = c.SetSecret(ctx, "lp-a-u-1", launchpad.KeySecretName, secretValue)
	_, errs["ListSecrets"] = c.ListSecrets(ctx, "lp-a-u-1")
	errs["DeleteSecret"] = c.DeleteSecret(ctx, "lp-a-u-1", launchpad.KeySecretName)
	_, errs["CreateMachine"] = c.CreateMachine(ctx, "lp-a-u-1", spec)
	_, errs["GetMachine"] = c.GetMachine(ctx, "lp-a-u-1", "m1")
	_, errs["ListMachines"] = c.ListMachines(ctx, "lp-a-u-1")
	_, errs["UpdateMachine"] = c.UpdateMachine(ctx, "lp-a-u-1", "m1", spec)
	errs["StartMachine"] = c.StartMachine(ctx, "lp-a-u-1", "m1")
	errs["StopMachine"] = c.StopMachine(ctx, "lp-a-u-1", "m1")
	errs["DestroyMachine"] = c.DestroyMachine(ctx, "lp-a-u-1", "m1", true)
	errs["WaitMachine"] = c.WaitMachine(ctx, "lp-a-u-1", "m1", "started", time.Second)
	_, errs["MachineEvents"] = c.MachineEvents(ctx, "lp-a-u-1", "m1")
	_, errs["Exec"] = c.Exec(ctx, "lp-a-u-1", "m1", []string{"ls"}, time.Second)
	return errs
}

// A hostile server echoes the Authorization header and the request body (which holds the
// secret value for SetSecret) into every error answer, in JSON and in plain text, and drops
// connections. No error text and no log line may carry the token or the secret.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	answers := []struct {
		name string
		fn   func(w http.ResponseWriter, echo string)
	}{
		{"json 400", func(w http.ResponseWriter, echo string) { jsonError(w, 400, echo) }},
		{"json 401", func(w http.ResponseWriter, echo string) { jsonError(w, 401, echo) }},
		{"json 404", func(w http.ResponseWriter, echo string) { jsonError(w, 404, echo) }},
		{"json 409", func(w http.ResponseWriter, echo string) { jsonError(w, 409, echo) }},
		{"json 422", func(w http.ResponseWriter, echo string) { jsonError(w, 422, echo) }},
		{"json 429", func(w http.ResponseWriter, echo string) { jsonError(w, 429, echo) }},
		{"json 500", func(w http.ResponseWriter, echo string) { jsonError(w, 500, echo) }},
		{"message 503", func(w http.ResponseWriter, echo string) {
			w.WriteHeader(503)
			fmt.Fprintf(w, `{"message":%q}`, echo)
		}},
		{"text 502", func(w http.ResponseWriter, echo string) {
			w.WriteHeader(502)
			_, _ = io.WriteString(w, echo)
		}},
		{"2xx with garbage", func(w http.ResponseWriter, echo string) {
			w.WriteHeader(200)
			_, _ = io.WriteString(w, "{"+echo)
		}},
		{"dropped", func(w http.ResponseWriter, _ string) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		}},
	}
	for _, a := range answers {
		t.Run(a.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				a.fn(w, r.Header.Get("Authorization")+" "+string(body)+" "+r.URL.String())
			}))
			defer srv.Close()
			var logs simtest.LockedBuffer
			c, err := New(context.Background(), Config{
				BaseURL: srv.URL, Token: testToken, Org: "personal", Timeout: time.Second,
				Retry:  RetryPolicy{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			})
			if err != nil {
				t.Fatal(err)
			}
			for method, err := range runEveryMethod(c) {
				if err == nil {
					// Only a 2xx may leave a method without error (one that reads no body).
					if !strings.HasPrefix(a.name, "2xx") {
						t.Errorf("%s: no error from a server that only fails", method)
					}
					continue
				}
				for _, text := range []string{err.Error(), launchpad.ErrorMessage(err)} {
					if strings.Contains(text, testToken) || strings.Contains(text, secretValue) {
						t.Errorf("%s: error carries a secret: %s", method, text)
					}
				}
			}
			if out := logs.String(); strings.Contains(out, testToken) || strings.Contains(out, secretValue) {
				t.Errorf("logs carry a secret:\n%s", out)
			}
		})
	}
}

func TestRedactorRemovesTokenShapes(t *testing.T) {
	r := newRedactor("FlyV1 fm2_abcDEF123,fm2_second/part==")
	in := "echo: FlyV1 fm2_abcDEF123,fm2_second/part== and fm2_abcDEF123 and Bearer fm1r_other_token and fm2_second/part=="
	out := r.String(in)
	for _, s := range []string{"fm2_abcDEF123", "fm2_second", "fm1r_other_token"} {
		if strings.Contains(out, s) {
			t.Errorf("redacted text still holds %q: %s", s, out)
		}
	}
	if !strings.HasPrefix(out, "echo: [REDACTED]") {
		t.Errorf("redacted = %q", out)
	}
}

func jsonError(w http.ResponseWriter, status int, echo string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q}`, echo)
}
