package controlplane

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// Bounds of LAUNCHPAD_AUDIT_WITNESS_INTERVAL: a witness is not a metrics sink, and a day
// without an outside copy is the most an anchor should lag.
const (
	minWitnessInterval = 10 * time.Second
	maxWitnessInterval = 24 * time.Hour
)

// auditLogConfig is serve's configuration of the verifiable audit log.
type auditLogConfig struct {
	signer   *auditlog.Signer  // nil: LAUNCHPAD_AUDIT_SIGNING_SECRET is unset
	witness  *auditlog.Witness // nil: no witness
	interval time.Duration
}

// loadAuditLogConfig reads the audit log's settings (through getenv, which sees serve's
// resolved flags) and returns the problems found, never echoing a secret. platformSecret is
// compared so that one leak cannot give both keys.
func loadAuditLogConfig(getenv func(string) string, platformSecret string) (auditLogConfig, []string) {
	var (
		c        auditLogConfig
		problems []string
	)
	secret := getenv(settings.AuditSigningSecret)
	origin, err := auditlog.Origin(getenv(settings.AuditOrigin), getenv(settings.PublicURL))
	if err != nil {
		problems = append(problems, launchpad.ErrorMessage(err))
	}
	switch {
	case secret == "" || err != nil:
	case secret == platformSecret:
		problems = append(problems, "LAUNCHPAD_AUDIT_SIGNING_SECRET equals PLATFORM_SECRET: give it a secret of its own (`openssl rand -base64 48`), so a leak of one does not give the other")
	default:
		if c.signer, err = auditlog.NewSigner([]byte(secret), origin); err != nil {
			problems = append(problems, launchpad.ErrorMessage(err))
		}
	}
	raw := getenv(settings.AuditWitnessInterval)
	if raw == "" {
		raw = settings.Get(settings.AuditWitnessInterval).Default
	}
	if c.interval, err = time.ParseDuration(raw); err != nil || c.interval < minWitnessInterval || c.interval > maxWitnessInterval {
		problems = append(problems, fmt.Sprintf("LAUNCHPAD_AUDIT_WITNESS_INTERVAL %q is not a duration from %s to %s, like 5m", launchpad.Clip(raw, 40), minWitnessInterval, maxWitnessInterval))
	}
	if target := getenv(settings.AuditWitness); target != "" {
		if c.witness, err = auditlog.NewWitness(target, nil); err != nil {
			problems = append(problems, launchpad.ErrorMessage(err))
		} else if c.signer == nil && secret == "" {
			problems = append(problems, "LAUNCHPAD_AUDIT_WITNESS is set but LAUNCHPAD_AUDIT_SIGNING_SECRET is not: there is no signed checkpoint to push; set the secret too")
		}
	}
	return c, problems
}

// startAuditLog places the events written before the tree existed (or by older replicas),
// then, with a signing secret, returns the log that signs checkpoints and starts pushing them
// to the witness until ctx ends. Without the secret it returns nil, and the checkpoint
// endpoint answers 503: a deployment upgraded without the new secret keeps running.
func startAuditLog(ctx context.Context, st launchpad.AuditStore, c auditLogConfig, log *slog.Logger) (*auditlog.Log, error) {
	size, err := st.IndexAudit(ctx)
	if err != nil {
		return nil, fmt.Errorf("placing older audit events in the audit tree: %w", err)
	}
	if c.signer == nil {
		log.Warn("LAUNCHPAD_AUDIT_SIGNING_SECRET is not set: audit checkpoints are not signed, /api/audit/checkpoint and inclusion proofs answer 503 until it is", "audit_tree_size", size)
		return nil, nil
	}
	l := auditlog.NewLog(st, c.signer)
	log.Info("audit checkpoints signed", "origin", c.signer.Origin(), "verifier_key", c.signer.VerifierKey(), "audit_tree_size", size)
	if c.witness != nil {
		go l.PushLoop(ctx, c.witness, c.interval, log.With("component", "audit-witness"))
	}
	return l, nil
}
