// Package tables lists the columns of the tables the two SQL stores (internal/sqlite and
// internal/postgres) keep alike, each beside the field of the record it holds. Both stores
// build their INSERT, UPDATE, SELECT and Scan from these lists, so a column added here reaches
// both, and a column can never be written from one field and read into another.
package tables

import "github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"

// Column is one column of a table and the record's field it holds: a pointer to the field,
// which a store reads for a write and fills on a read (a *time.Time, a *string, a *int64, …).
type Column struct {
	Name  string
	Field any
}

// Plan lists the plans table's columns with the fields of p they hold.
func Plan(p *launchpad.Plan) []Column {
	return []Column{
		{"name", &p.Name},
		{"display_name", &p.DisplayName},
		{"stripe_price_id", &p.StripePriceID},
		{"monthly_spend_limit_usd", &p.MonthlySpendLimitUSD},
		{"machine_hours_per_cycle", &p.MachineHoursPerCycle},
		{"guest_cpu_kind", &p.Guest.CPUKind},
		{"guest_cpus", &p.Guest.CPUs},
		{"guest_memory_mb", &p.Guest.MemoryMB},
		{"volume_size_gb", &p.VolumeSizeGB},
		{"allow_pooled_key", &p.AllowPooledKey},
		{"created_at", &p.CreatedAt},
		{"updated_at", &p.UpdatedAt},
	}
}

// Tenant lists the tenants table's columns with the fields of t they hold.
func Tenant(t *launchpad.Tenant) []Column {
	return []Column{
		{"app_name", &t.AppName},
		{"user_id", &t.UserID},
		{"product", &t.Product},
		{"region", &t.Region},
		{"plan_name", &t.Plan},
		{"image", &t.Image},
		{"network", &t.Network},
		{"machine_id", &t.MachineID},
		{"volume_id", &t.VolumeID},
		{"ipv4", &t.IPv4},
		{"ipv6", &t.IPv6},
		{"key_source", &t.KeySource},
		{"subkey_hash", &t.SubKeyHash},
		{"secret_digest", &t.SecretDigest},
		{"rebuild_generation", &t.RebuildGeneration},
		{"reset_generation", &t.ResetGeneration},
		{"machine_state", &t.MachineState},
		{"created_at", &t.CreatedAt},
		{"updated_at", &t.UpdatedAt},
	}
}

// SubKey lists the sub_keys table's columns with the fields of k they hold.
func SubKey(k *launchpad.SubKey) []Column {
	return []Column{
		{"hash", &k.Hash},
		{"user_id", &k.UserID},
		{"plan_name", &k.Plan},
		{"name", &k.Name},
		{"limit_usd", &k.LimitUSD},
		{"limit_reset", &k.LimitReset},
		{"include_byok_in_limit", &k.IncludeBYOKInLimit},
		{"disabled", &k.Disabled},
		{"rotation_generation", &k.RotationGeneration},
		{"created_at", &k.CreatedAt},
		{"updated_at", &k.UpdatedAt},
	}
}

// Job lists the jobs table's columns with the fields of j they hold.
func Job(j *launchpad.Job) []Column {
	return []Column{
		{"id", &j.ID},
		{"kind", &j.Kind},
		{"job_key", &j.Key},
		{"payload", &j.Payload},
		{"supersede", &j.Supersede},
		{"status", &j.Status},
		{"attempts", &j.Attempts},
		{"max_attempts", &j.MaxAttempts},
		{"run_after", &j.RunAfter},
		{"lease_owner", &j.LeaseOwner},
		{"lease_expires_at", &j.LeaseExpiresAt},
		{"created_at", &j.CreatedAt},
		{"started_at", &j.StartedAt},
		{"finished_at", &j.FinishedAt},
		{"error", &j.Error},
		{"summary_add", &j.Summary.Add},
		{"summary_change", &j.Summary.Change},
		{"summary_destroy", &j.Summary.Destroy},
	}
}

// Session lists the sessions table's columns with the fields of s they hold.
func Session(s *launchpad.Session) []Column {
	return []Column{
		{"id", &s.ID},
		{"user_id", &s.UserID},
		{"family_id", &s.FamilyID},
		{"token_hash", &s.TokenHash},
		{"device_id", &s.DeviceID},
		{"user_agent", &s.UserAgent},
		{"created_at", &s.CreatedAt},
		{"expires_at", &s.ExpiresAt},
		{"rotated_at", &s.RotatedAt},
		{"revoked_at", &s.RevokedAt},
		{"auth_time", &s.AuthTime},
		{"ip", &s.IP},
		{"last_seen_at", &s.LastSeenAt},
	}
}

// Device lists the devices table's columns with the fields of d they hold.
func Device(d *launchpad.Device) []Column {
	return []Column{
		{"user_id", &d.UserID},
		{"fingerprint", &d.Fingerprint},
		{"user_agent", &d.UserAgent},
		{"first_seen", &d.FirstSeen},
		{"last_seen", &d.LastSeen},
	}
}

// SignInCode lists the sign_in_codes table's columns with the fields of c they hold.
func SignInCode(c *launchpad.SignInCode) []Column {
	return []Column{
		{"email", &c.Email},
		{"hmac", &c.HMAC},
		{"created_at", &c.CreatedAt},
		{"expires_at", &c.ExpiresAt},
		{"attempts", &c.Attempts},
		{"used", &c.Used},
	}
}

// StripeEvent lists the stripe_events table's columns with the fields of ev they hold.
func StripeEvent(ev *launchpad.StripeEvent) []Column {
	return []Column{
		{"id", &ev.ID},
		{"type", &ev.Type},
		{"created", &ev.Created},
		{"api_version", &ev.APIVersion},
		{"payload", &ev.Payload},
		{"received_at", &ev.ReceivedAt},
		{"processed_at", &ev.ProcessedAt},
		{"error", &ev.Error},
	}
}
