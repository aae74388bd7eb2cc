package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store"
)

// Defaults of the tenant settings a customer may override at checkout.
const (
	DefaultProduct = "hermes"
	DefaultRegion  = "iad"
	DefaultImage   = "registry.fly.io/hermes-agent:1.4.2"
	DefaultDataDir = "./launchpad-data"
	// DefaultCancelGrace is how long tofu has to stop after SIGINT before it is killed.
	DefaultCancelGrace = 30 * time.Second
)

// Defaults fill the fields of a launchpad.ApplyRequest that the customer did not override.
type Defaults struct {
	Product string // LAUNCHPAD_PRODUCT, default hermes
	Region  string // LAUNCHPAD_REGION, default iad
	Image   string // LAUNCHPAD_IMAGE, default DefaultImage; the fleet's stored image comes first
	// WorkspaceRetentionDays is how long a tenant the control plane destroys keeps its
	// /workspace as a snapshot (LAUNCHPAD_RETENTION_SNAPSHOTS in days; 0 keeps none). It is
	// the operator's, so it replaces whatever a job carries.
	WorkspaceRetentionDays int64
}

// Apply returns d with its empty Product, Region and Image taken from def.
func (def Defaults) Apply(d launchpad.ApplyRequest) launchpad.ApplyRequest {
	if d.Product == "" {
		d.Product = def.Product
	}
	if d.Region == "" {
		d.Region = def.Region
	}
	if d.Image == "" {
		d.Image = def.Image
	}
	d.WorkspaceRetentionDays = def.WorkspaceRetentionDays
	return d
}

// Store is what the runner needs of launchpad.Store: the tenant's Terraform state, the job's
// log and the audit log.
type Store interface {
	launchpad.StateStore
	AppendJobLog(ctx context.Context, id string, p []byte) error
	AppendAudit(ctx context.Context, e *launchpad.AuditEvent) (*launchpad.AuditEvent, error)
	// The user's records, to adopt what an interrupted run left out of the state.
	ListSubKeys(ctx context.Context, f launchpad.SubKeyFilter) ([]*launchpad.SubKey, error)
	ListTenants(ctx context.Context, f launchpad.TenantFilter) ([]*launchpad.Tenant, error)
	// The fleet's image and the rollouts in progress, for jobs that name no image
	// (launchpad.TenantImage).
	launchpad.ImageSource
}

// Config configures a Runner. Store is required; zero fields get their defaults.
type Config struct {
	Store Store
	// Tofu is the tofu (or terraform) executable (LAUNCHPAD_TOFU). Default: "tofu" on PATH,
	// else "terraform".
	Tofu string
	// DataDir holds the work directories, DataDir/workspaces/<user id> (LAUNCHPAD_DATA_DIR,
	// default ./launchpad-data).
	DataDir string
	// ProviderBinary is the provider tofu runs, through a dev_overrides CLI config. Default:
	// this very executable (os.Executable), which serves the provider when run without
	// arguments.
	ProviderBinary string
	// ProviderEnv is the environment the provider is configured from (LAUNCHPAD_STORE,
	// PLATFORM_SECRET, FLY_*, OPENROUTER_*; see ProviderEnvFromEnv). Its values are passed to
	// the tofu process only: never logged, and redacted from tofu's output.
	ProviderEnv map[string]string
	// Defaults fill what a job's desired state leaves empty.
	Defaults Defaults
	// Render turns a complete desired state into main.tf.json (default Render). Tests use it
	// to run workspaces of built-in resources.
	Render func(launchpad.ApplyRequest) ([]byte, error)
	// CancelGrace is how long tofu has to stop after SIGINT when a run is cancelled, before it
	// is killed (default 30s).
	CancelGrace time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
}

// ProviderEnvVars are the settings the provider reads from its environment (its rows of the
// settings table, and libpq's variables that complete a PostgreSQL store); the runner passes
// them from the control plane's environment to every tofu run.
var ProviderEnvVars = append(settings.Names(settings.For(settings.Provider)), settings.PostgresEnv...)

// secretEnvVars are the secret ones among them, redacted from every output.
var secretEnvVars = append(settings.Secrets(settings.For(settings.Provider)), settings.PostgresSecretEnv...)

// ProviderEnvFromEnv collects ProviderEnvVars that are set. A relative SQLite store path is
// made absolute here, because tofu runs the provider in the tenant's work directory.
func ProviderEnvFromEnv(getenv func(string) string) map[string]string {
	env := map[string]string{}
	for _, k := range ProviderEnvVars {
		if v := getenv(k); v != "" {
			env[k] = v
		}
	}
	env[settings.Store] = absoluteStoreURL(env[settings.Store])
	return env
}

// absoluteStoreURL rewrites a SQLite store URL with a relative path (or the empty default,
// ./launchpad.db) to an absolute one; other URLs, and ones store.Parse refuses (the server
// reports those), are returned as they are.
func absoluteStoreURL(u string) string {
	t, err := store.Parse(u)
	if err != nil || t.Backend != store.SQLite || filepath.IsAbs(t.Path) {
		return u
	}
	abs, err := filepath.Abs(t.Path)
	if err != nil {
		return u
	}
	t.Path = abs
	return t.String()
}

// EnvConfig reads the runner's settings from the environment: LAUNCHPAD_TOFU,
// LAUNCHPAD_DATA_DIR, LAUNCHPAD_PRODUCT, LAUNCHPAD_REGION, LAUNCHPAD_IMAGE,
// LAUNCHPAD_APPLY_CANCEL_GRACE and the provider's settings (ProviderEnvFromEnv). Store,
// Logger and the rest are left for the caller. The error lists every invalid setting.
func EnvConfig(getenv func(string) string) (Config, error) {
	c := Config{
		Tofu:        getenv(settings.Tofu),
		DataDir:     getenv(settings.DataDir),
		ProviderEnv: ProviderEnvFromEnv(getenv),
		Defaults: Defaults{
			Product: getenv(settings.Product),
			Region:  getenv(settings.Region),
			Image:   getenv(settings.Image),
		},
	}
	var problems []error
	if c.Defaults.Product != "" {
		if err := launchpad.ValidateProduct(c.Defaults.Product); err != nil {
			problems = append(problems, fmt.Errorf("LAUNCHPAD_PRODUCT: %s", launchpad.ErrorMessage(err)))
		}
	}
	if c.Defaults.Region != "" {
		if err := launchpad.ValidateRegion(c.Defaults.Region); err != nil {
			problems = append(problems, fmt.Errorf("LAUNCHPAD_REGION: %s", launchpad.ErrorMessage(err)))
		}
	}
	if c.Defaults.Image != "" {
		if err := launchpad.ValidateImage(c.Defaults.Image); err != nil {
			problems = append(problems, fmt.Errorf("LAUNCHPAD_IMAGE: %s", launchpad.ErrorMessage(err)))
		}
	}
	if v := getenv(settings.ApplyCancelGrace); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Hour {
			problems = append(problems, fmt.Errorf("LAUNCHPAD_APPLY_CANCEL_GRACE=%q is not valid: use a duration from 1s to 1h such as 30s (default %s)", launchpad.Clip(v, 20), DefaultCancelGrace))
		}
		c.CancelGrace = d
	}
	return c, errors.Join(problems...)
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Store == nil {
		return c, errors.New("runner: Config.Store is nil")
	}
	if c.Tofu == "" {
		c.Tofu = "tofu"
		if _, err := exec.LookPath("tofu"); err != nil {
			if _, err := exec.LookPath("terraform"); err == nil {
				c.Tofu = "terraform"
			}
		}
	}
	tofu, err := exec.LookPath(c.Tofu)
	if err != nil {
		return c, fmt.Errorf("runner: cannot run %q (LAUNCHPAD_TOFU): %v; install OpenTofu (`make tools` builds bin/tofu) and set LAUNCHPAD_TOFU to its path", c.Tofu, err)
	}
	if c.Tofu, err = filepath.Abs(tofu); err != nil {
		return c, err
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.DataDir, err = filepath.Abs(c.DataDir); err != nil {
		return c, fmt.Errorf("runner: LAUNCHPAD_DATA_DIR %q: %w", c.DataDir, err)
	}
	if c.ProviderBinary == "" {
		if c.ProviderBinary, err = os.Executable(); err != nil {
			return c, fmt.Errorf("runner: cannot find this executable to serve the provider: %w", err)
		}
	}
	if c.Defaults.Product == "" {
		c.Defaults.Product = DefaultProduct
	}
	if c.Defaults.Region == "" {
		c.Defaults.Region = DefaultRegion
	}
	if c.Defaults.Image == "" {
		c.Defaults.Image = DefaultImage
	}
	if c.Render == nil {
		c.Render = Render
	}
	if c.CancelGrace <= 0 {
		c.CancelGrace = DefaultCancelGrace
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
