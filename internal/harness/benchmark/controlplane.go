package benchmark

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
)

// controlPlane is `terraform-provider-launchpad serve` of the built binary, started through
// internal/harness/stack exactly as `make demo` starts it: a process of its own on loopback, a
// SQLite store, a JSON log in its directory, the admin API and the Stripe webhook on.
type controlPlane struct {
	serve         *stack.Serve
	api           *stack.Client
	storeURL      string
	dataDir       string
	webhookSecret string
}

// startControlPlane starts serve with base (the provider's settings, which must hold
// LAUNCHPAD_STORE and PLATFORM_SECRET, and PATH/HOME) plus the control plane's own: a free
// port, a generated admin token and webhook secret, tofu, and a data directory under dir.
// extra is added last (e.g. LAUNCHPAD_METER_INTERVAL).
func startControlPlane(ctx context.Context, env *Env, dir string, base, extra map[string]string) (*controlPlane, error) {
	cp := &controlPlane{
		storeURL:      base["LAUNCHPAD_STORE"],
		dataDir:       filepath.Join(dir, "data"),
		webhookSecret: "whsec_" + randomHex(24),
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	admin := randomHex(32)
	serveEnv := map[string]string{}
	for k, v := range base {
		serveEnv[k] = v
	}
	for k, v := range map[string]string{
		"LAUNCHPAD_ADDR":        "127.0.0.1:0",
		"LAUNCHPAD_LOG_FORMAT":  "json",
		"LAUNCHPAD_SMTP_URL":    smtp.LogURL,
		"LAUNCHPAD_ADMIN_TOKEN": admin,
		"STRIPE_WEBHOOK_SECRET": cp.webhookSecret,
		"LAUNCHPAD_TOFU":        env.Tofu,
		"LAUNCHPAD_DATA_DIR":    cp.dataDir,
	} {
		serveEnv[k] = v
	}
	for k, v := range extra {
		serveEnv[k] = v
	}
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s, err := stack.StartServe(startCtx, env.Provider, serveEnv, filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, fmt.Errorf("start serve: %w", err)
	}
	cp.serve = s
	cp.api = &stack.Client{URL: s.URL, AdminToken: admin, HC: &http.Client{Timeout: 30 * time.Second}}
	return cp, nil
}

// stop asks serve to drain and stop.
func (cp *controlPlane) stop() error {
	return cp.serve.Stop(60 * time.Second)
}

// adminJob is a job as GET /api/admin/jobs shows it, with the times the phases of a
// convergence are read from (the store's clock: the same machine's).
type adminJob struct {
	ID      string          `json:"id"`
	Kind    string          `json:"kind"`
	Key     string          `json:"key"`
	Status  string          `json:"status"`
	Error   string          `json:"error"`
	Payload json.RawMessage `json:"payload"`
	Apply   *struct {
		UserID  string `json:"user_id"`
		Plan    string `json:"plan"`
		Destroy bool   `json:"destroy"`
	} `json:"apply"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// over reports whether the job will not run again by itself.
func (j adminJob) over() bool {
	return j.Status == "succeeded" || j.Status == "failed" || j.Status == "superseded"
}

// jobs lists jobs, newest first, with the query parameters q (kind, user_id, limit).
func (cp *controlPlane) jobs(ctx context.Context, q url.Values) ([]adminJob, error) {
	var out struct {
		Jobs []adminJob `json:"jobs"`
	}
	err := cp.api.Admin(ctx, "/api/admin/jobs?"+q.Encode(), &out)
	return out.Jobs, err
}
