package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/queue"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Runner applies apply jobs: one `tofu plan -out` and `apply` of the tenant's rendered
// workspace, with the tenant's state restored from, and saved back to, the store.
type Runner struct {
	cfg         Config
	providerDir string
	redact      *redactor
}

// New checks cfg, finds tofu and the provider binary, and returns a Runner.
func New(cfg Config) (*Runner, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(c.DataDir, "workspaces"), 0o700); err != nil {
		return nil, fmt.Errorf("runner: cannot create the work directories under LAUNCHPAD_DATA_DIR %s: %w", c.DataDir, err)
	}
	dir, err := providerDir(c.ProviderBinary, filepath.Join(c.DataDir, "provider"))
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	var secrets []string
	for _, k := range secretEnvVars {
		secrets = append(secrets, c.ProviderEnv[k])
	}
	return &Runner{cfg: c, providerDir: dir, redact: newRedactor(secrets)}, nil
}

// Handler returns the runner as a queue handler for launchpad.JobApply jobs.
func (r *Runner) Handler() queue.Handler { return r.Run }

// Run applies one JobApply job: render the workspace for the job's desired state, restore the
// state, plan, apply the plan if it changes anything, and save the state back, also when a
// step fails or ctx is cancelled (tofu gets SIGINT, then is killed after CancelGrace). Output
// streams into the job's log; the audit log gets apply.started and apply.finished or
// apply.failed with the plan summary. A payload that cannot be applied is a queue.Permanent
// error; a failed tofu run is a plain error, retried by the queue.
func (r *Runner) Run(ctx context.Context, job *launchpad.Job) (launchpad.PlanSummary, error) {
	d, err := launchpad.ParseApplyRequest(job.Payload)
	if err != nil {
		return launchpad.PlanSummary{}, queue.Permanent(err)
	}
	if job.Key != d.UserID {
		return launchpad.PlanSummary{}, queue.Permanent(launchpad.Errorf(launchpad.EINVALID,
			"apply job %s has key %q but applies user %q; the key must be the user id so one tenant runs one job at a time", job.ID, launchpad.Clip(job.Key, 60), d.UserID))
	}
	if d.Image == "" {
		// The fleet's image, as the last completed rollout (or LAUNCHPAD_IMAGE) set it, or
		// the image a rollout in progress already moved this tenant to.
		if d.Image, err = launchpad.TenantImage(ctx, r.cfg.Store, d.UserID); err != nil {
			return launchpad.PlanSummary{}, launchpad.Wrapf(err, "reading the fleet's image")
		}
	}
	d = r.cfg.Defaults.Apply(d)
	log := r.cfg.Logger.With("job", job.ID, "user", d.UserID, "plan", d.Plan, "destroy", d.Destroy)

	jl := newJobLog(r.cfg.Store, job.ID, r.redact, r.cfg.Logger)
	defer jl.Close()
	jl.Printf("apply job %s (attempt %d) for user %s: %s", job.ID, job.Attempts, d.UserID, describe(d))

	r.audit(ctx, log, job, d, launchpad.AuditApplyStarted, nil)
	started := time.Now()
	summary, err := r.apply(ctx, job, d, jl, log)
	took := time.Since(started).Round(time.Millisecond)
	details := summaryDetails(summary)
	details["took_ms"] = strconv.FormatInt(took.Milliseconds(), 10)
	if err != nil {
		err = r.redactErr(err)
		details["error"] = launchpad.Clip(launchpad.ErrorMessage(err), 500)
		if launchpad.ErrorCode(err) == launchpad.EINTERNAL {
			details["error"] = launchpad.Clip(err.Error(), 500)
		}
		jl.Printf("failed after %s: %s", took, details["error"])
		r.audit(ctx, log, job, d, launchpad.AuditApplyFailed, details)
		log.Warn("apply failed", "error", err, "took", took)
		return summary, err
	}
	jl.Printf("done in %s: %d to add, %d to change, %d to destroy", took, summary.Add, summary.Change, summary.Destroy)
	r.audit(ctx, log, job, d, launchpad.AuditApplyFinished, details)
	log.Info("apply finished", "took", took, "add", summary.Add, "change", summary.Change, "destroy", summary.Destroy)
	return summary, nil
}

// apply does the work of Run in the tenant's work directory.
func (r *Runner) apply(ctx context.Context, job *launchpad.Job, d launchpad.ApplyRequest, jl *jobLog, log *slog.Logger) (summary launchpad.PlanSummary, err error) {
	config, err := r.cfg.Render(d)
	if err != nil {
		return summary, queue.Permanent(err)
	}
	dir, err := r.workDir(d.UserID)
	if err != nil {
		return summary, queue.Permanent(err)
	}
	if err := r.prepare(dir, config); err != nil {
		return summary, err
	}
	restored, err := restoreState(ctx, r.cfg.Store, d.UserID, dir, log)
	if err != nil {
		return summary, err
	}
	// From here on the state is saved whatever happens, with a context of its own: a
	// cancelled run is exactly the one whose partial state must not be lost.
	defer func() {
		saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		v, serr := saveState(saveCtx, r.cfg.Store, d.UserID, dir, restored)
		if serr != nil {
			log.Error("saving the Terraform state failed", "error", serr)
			jl.Printf("saving the state failed: %s", launchpad.ErrorMessage(serr))
			err = errors.Join(err, serr)
			return
		}
		if v != restored.version {
			jl.Printf("state saved (version %d)", v)
		}
	}()

	orphans, adopt, err := findOrphans(ctx, r.cfg.Store, d, restored.data)
	if err != nil {
		return summary, launchpad.Wrapf(err, "comparing the store's records of %s with the state", d.UserID)
	}
	if len(orphans) > 0 {
		if err := r.adoptOrphans(ctx, dir, orphans, adopt, jl, log); err != nil {
			return summary, err
		}
		if err := r.prepare(dir, config); err != nil {
			return summary, err
		}
	}
	t, err := r.tofu(dir, jl)
	if err != nil {
		return summary, err
	}
	return t.planAndApply(ctx, jl, log)
}

// workDir returns DataDir/workspaces/<user id>, creating it. The id is checked first so that
// nothing but a plain id (no "..", "/", NUL) reaches the path.
func (r *Runner) workDir(userID string) (string, error) {
	if err := launchpad.ValidateUserID(userID); err != nil {
		return "", err
	}
	root := filepath.Join(r.cfg.DataDir, "workspaces")
	dir := filepath.Join(root, userID)
	if filepath.Dir(dir) != root { // belt and braces: the id is one path element
		return "", launchpad.Errorf(launchpad.EINVALID, "user id %q does not name a directory under %s", launchpad.Clip(userID, 60), root)
	}
	return dir, os.MkdirAll(dir, 0o700)
}

// prepare writes the configuration and the CLI config, and removes a plan left by an earlier
// run.
func (r *Runner) prepare(dir string, config []byte) error {
	if err := os.Remove(filepath.Join(dir, planFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, "main.tf.json"), config); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, cliConfigFile), cliConfig(r.providerDir))
}

// audit appends one apply event to the user's audit stream. A failure is logged, not
// returned: the apply itself is recorded in the job either way.
func (r *Runner) audit(ctx context.Context, log *slog.Logger, job *launchpad.Job, d launchpad.ApplyRequest, action string, details map[string]string) {
	if details == nil {
		details = map[string]string{}
	}
	details["job"] = job.ID
	details["attempt"] = strconv.Itoa(job.Attempts)
	details["plan"] = d.Plan
	details["product"] = d.Product
	details["region"] = d.Region
	details["destroy"] = strconv.FormatBool(d.Destroy)
	if d.Reason != "" {
		details["reason"] = d.Reason
	}
	if d.Rollout != "" {
		details["rollout"] = d.Rollout
		details["image"] = d.Image
	}
	if d.KeyRotation > 0 {
		details["key_rotation_generation"] = strconv.FormatInt(d.KeyRotation, 10)
	}
	if d.Rebuild > 0 {
		details["rebuild_generation"] = strconv.FormatInt(d.Rebuild, 10)
	}
	if d.Reset > 0 {
		details["reset_generation"] = strconv.FormatInt(d.Reset, 10)
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := r.cfg.Store.AppendAudit(actx, &launchpad.AuditEvent{
		Stream: d.UserID, Actor: launchpad.ActorSystem, Action: action, Target: job.ID, Details: details, Time: r.cfg.Now(),
	})
	if err != nil {
		log.Error("writing the audit event failed", "action", action, "error", err)
	}
}

// redactErr removes the provider's secrets from an error's text, keeping its code.
func (r *Runner) redactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := r.redact.string(err.Error())
	if msg == err.Error() {
		return err
	}
	if launchpad.ErrorCode(err) != launchpad.EINTERNAL {
		msg = r.redact.string(launchpad.ErrorMessage(err))
	}
	out := error(&launchpad.Error{Code: launchpad.ErrorCode(err), Message: msg})
	if queue.IsPermanent(err) {
		out = queue.Permanent(out)
	}
	return out
}

func describe(d launchpad.ApplyRequest) string {
	if d.Destroy {
		return "destroy the tenant (" + orDash(d.Reason) + ")"
	}
	return fmt.Sprintf("plan %s, product %s, region %s, image %s, key rotation %d, rebuild %d, reset %d (%s)",
		d.Plan, d.Product, d.Region, d.Image, d.KeyRotation, d.Rebuild, d.Reset, orDash(d.Reason))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func summaryDetails(s launchpad.PlanSummary) map[string]string {
	return map[string]string{
		"adds": strconv.Itoa(s.Add), "changes": strconv.Itoa(s.Change), "destroys": strconv.Itoa(s.Destroy),
	}
}
