// Package export gathers everything Launchpad holds about one user into one JSON document (the
// right of access): profile, subscription, usage, tenants and sub-keys with their public
// attributes, sessions, devices, and the user's audit events with their inclusion proofs when
// the verifiable log is on. It never holds a secret: sealed credentials, sign-in codes,
// recovery codes and tokens are named in Withheld, with why, and left out.
package export

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/auditlog"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Format names the document's shape; a new shape gets a new name.
const Format = "launchpad-export-v1"

// Document is the export.
type Document struct {
	Format       string       `json:"format"`
	ExportedAt   time.Time    `json:"exported_at"`
	Profile      Profile      `json:"profile"`
	Subscription Subscription `json:"subscription"`
	Usage        Usage        `json:"usage"`
	Tenants      []Tenant     `json:"tenants"`
	SubKeys      []SubKey     `json:"sub_keys"`
	Sessions     []Session    `json:"sessions"`
	Devices      []Device     `json:"devices"`
	AuditEvents  []AuditEvent `json:"audit_events"`
	Withheld     []Withheld   `json:"withheld"`
}

// Profile is the user record.
type Profile struct {
	ID                string     `json:"id"`
	Email             string     `json:"email"`
	Plan              string     `json:"plan"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	MFAEnabled        bool       `json:"mfa_enabled"`
	RecoveryCodesLeft int        `json:"recovery_codes_left"`
	HasBYOKKey        bool       `json:"has_byok_key"`
	OpenRouterKeyHash string     `json:"openrouter_key_hash,omitempty"`
	DeletionRequested *time.Time `json:"deletion_requested_at,omitempty"`
}

// Subscription mirrors the Stripe subscription.
type Subscription struct {
	StripeCustomerID     string            `json:"stripe_customer_id,omitempty"`
	StripeSubscriptionID string            `json:"stripe_subscription_id,omitempty"`
	Status               string            `json:"status,omitempty"`
	PriceID              string            `json:"price_id,omitempty"`
	Plan                 string            `json:"plan,omitempty"`
	CurrentPeriodStart   *time.Time        `json:"current_period_start,omitempty"`
	CurrentPeriodEnd     *time.Time        `json:"current_period_end,omitempty"`
	CancelAtPeriodEnd    bool              `json:"cancel_at_period_end"`
	Metadata             map[string]string `json:"metadata,omitempty"`
}

// Usage is the current billing cycle's metering.
type Usage struct {
	CycleStart   *time.Time `json:"cycle_start,omitempty"`
	CycleEnd     *time.Time `json:"cycle_end,omitempty"`
	MachineHours float64    `json:"machine_hours"`
	// Days are the cycle's machine hours and model spend per UTC day, as the meter counted
	// them (a day's spend is what was read on that day).
	Days []UsageDay `json:"days"`
}

// UsageDay is one UTC day of the cycle's usage.
type UsageDay struct {
	Day          string  `json:"day"` // 2006-01-02
	MachineHours float64 `json:"machine_hours"`
	SpendUSD     float64 `json:"spend_usd"`
}

// usageOf is the exported form of u.
func usageOf(u launchpad.Usage) Usage {
	out := Usage{CycleStart: timePtr(u.CycleStart), CycleEnd: timePtr(u.CycleEnd), MachineHours: u.Hours(), Days: []UsageDay{}}
	for _, d := range u.Days {
		out.Days = append(out.Days, UsageDay{Day: d.Day.UTC().Format(time.DateOnly), MachineHours: d.MachineSeconds / 3600, SpendUSD: d.SpendUSD})
	}
	return out
}

// Tenant is a tenant's public attributes.
type Tenant struct {
	AppName   string    `json:"app_name"`
	Product   string    `json:"product"`
	Region    string    `json:"region"`
	Plan      string    `json:"plan"`
	Image     string    `json:"image"`
	MachineID string    `json:"machine_id,omitempty"`
	VolumeID  string    `json:"volume_id,omitempty"`
	IPv4      string    `json:"ipv4,omitempty"`
	IPv6      string    `json:"ipv6,omitempty"`
	KeySource string    `json:"key_source,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// SubKey is a sub-key's record (its hash, never the key).
type SubKey struct {
	Hash      string    `json:"hash"`
	Name      string    `json:"name"`
	Plan      string    `json:"plan"`
	LimitUSD  float64   `json:"limit_usd"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// Session is an active sign-in (never its token).
type Session struct {
	ID        string    `json:"id"`
	UserAgent string    `json:"user_agent"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// IP and LastActiveAt are where and when the session was last used.
	IP           string    `json:"ip"`
	LastActiveAt time.Time `json:"last_active_at"`
}

// Device is a client the user signed in from (never its cookie or fingerprint).
type Device struct {
	UserAgent string    `json:"user_agent"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// AuditEvent is one of the user's audit events, with its inclusion proof when the log is
// signed.
type AuditEvent struct {
	ID string `json:"id"`
	EventFields
	Proof *Proof `json:"proof,omitempty"`
}

// EventFields are the fields of an audit event that the export and the control plane's audit
// API both show, under the same names.
type EventFields struct {
	Seq      int64             `json:"seq"`
	Time     time.Time         `json:"time"`
	Actor    string            `json:"actor"`
	Action   string            `json:"action"`
	Target   string            `json:"target,omitempty"`
	Details  map[string]string `json:"details,omitempty"`
	PrevHash string            `json:"prev_hash"`
	Hash     string            `json:"hash"`
}

// FieldsOf returns e's shown fields, its time in UTC.
func FieldsOf(e *launchpad.AuditEvent) EventFields {
	return EventFields{Seq: e.Seq, Time: e.Time.UTC(), Actor: e.Actor, Action: e.Action, Target: e.Target,
		Details: e.Details, PrevHash: e.PrevHash, Hash: e.Hash}
}

// Proof proves an event is leaf Index of the tree the signed Checkpoint pins (check it with
// golang.org/x/mod/sumdb/tlog.CheckRecord, as GET /api/audit/{id}/proof documents).
type Proof struct {
	Index      int64    `json:"index"`
	TreeSize   int64    `json:"tree_size"`
	LeafHash   string   `json:"leaf_hash"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
}

// Withheld names a piece of data that is held but not exported, and why.
type Withheld struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

// Exporter builds exports.
type Exporter struct {
	Store launchpad.Store
	// Log proves inclusion of the audit events; nil when the log is not signed.
	Log *auditlog.Log
	Now func() time.Time
}

// maxAuditEvents bounds the audit events one export reads (pages of 1000).
const maxAuditEvents = 100_000

// Export returns userID's document; ENOTFOUND for an unknown user.
func (x *Exporter) Export(ctx context.Context, userID string) (*Document, error) {
	u, err := x.Store.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if x.Now != nil {
		now = x.Now
	}
	d := &Document{
		Format: Format, ExportedAt: now().UTC(),
		Profile: Profile{
			ID: u.ID, Email: u.Email, Plan: u.Plan, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
			MFAEnabled: u.MFA.Enabled(), RecoveryCodesLeft: len(u.MFA.RecoveryCodes), HasBYOKKey: u.BYOKKey != "",
			OpenRouterKeyHash: u.OpenRouterKeyHash, DeletionRequested: timePtr(u.Control.ErasureRequestedAt),
		},
		Subscription: Subscription{
			StripeCustomerID: u.Subscription.StripeCustomerID, StripeSubscriptionID: u.Subscription.StripeSubscriptionID,
			Status: u.Subscription.Status, PriceID: u.Subscription.PriceID, Plan: u.Subscription.Plan,
			CurrentPeriodStart: timePtr(u.Subscription.CurrentPeriodStart), CurrentPeriodEnd: timePtr(u.Subscription.CurrentPeriodEnd),
			CancelAtPeriodEnd: u.Subscription.CancelAtPeriodEnd, Metadata: u.Subscription.Metadata,
		},
		Usage:       usageOf(u.Usage),
		Tenants:     []Tenant{},
		SubKeys:     []SubKey{},
		Sessions:    []Session{},
		Devices:     []Device{},
		AuditEvents: []AuditEvent{},
		Withheld:    withheld(u),
	}
	tenants, err := x.Store.ListTenants(ctx, launchpad.TenantFilter{UserID: u.ID})
	if err != nil {
		return nil, err
	}
	for _, t := range tenants {
		d.Tenants = append(d.Tenants, Tenant{AppName: t.AppName, Product: t.Product, Region: t.Region, Plan: t.Plan, Image: t.Image,
			MachineID: t.MachineID, VolumeID: t.VolumeID, IPv4: t.IPv4, IPv6: t.IPv6, KeySource: string(t.KeySource), CreatedAt: t.CreatedAt.UTC()})
	}
	keys, err := x.Store.ListSubKeys(ctx, launchpad.SubKeyFilter{UserID: u.ID})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		d.SubKeys = append(d.SubKeys, SubKey{Hash: k.Hash, Name: k.Name, Plan: k.Plan, LimitUSD: k.LimitUSD, Disabled: k.Disabled, CreatedAt: k.CreatedAt.UTC()})
	}
	sessions, err := x.Store.ListSessions(ctx, u.ID, now())
	if err != nil {
		return nil, err
	}
	for _, s := range sessions {
		d.Sessions = append(d.Sessions, Session{ID: s.ID, UserAgent: s.UserAgent, CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(), IP: s.IP, LastActiveAt: s.LastActive().UTC()})
	}
	devices, err := x.Store.ListDevices(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, dv := range devices {
		d.Devices = append(d.Devices, Device{UserAgent: dv.UserAgent, FirstSeen: dv.FirstSeen.UTC(), LastSeen: dv.LastSeen.UTC()})
	}
	if err := x.audit(ctx, u.ID, d); err != nil {
		return nil, err
	}
	return d, nil
}

// audit adds the user's audit stream, each event with its proof when the log is signed.
func (x *Exporter) audit(ctx context.Context, userID string, d *Document) error {
	var after int64
	for len(d.AuditEvents) < maxAuditEvents {
		page, err := x.Store.ListAudit(ctx, launchpad.AuditFilter{Stream: userID, AfterSeq: after, Limit: 1000})
		if err != nil {
			return err
		}
		for _, e := range page {
			ev := AuditEvent{ID: e.ID, EventFields: FieldsOf(e)}
			if x.Log != nil {
				if inc, err := x.Log.Prove(ctx, e); err == nil {
					ev.Proof = ProofOf(inc)
				} else if launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
					return err
				}
			}
			d.AuditEvents = append(d.AuditEvents, ev)
			after = e.Seq
		}
		if len(page) < 1000 {
			return nil
		}
	}
	return nil
}

// ProofOf is inc as an export shows it: hashes in base64 and the signed checkpoint note.
func ProofOf(inc *auditlog.Inclusion) *Proof {
	p := &Proof{Index: inc.Index, TreeSize: inc.Signed.Checkpoint.Size, LeafHash: base64.StdEncoding.EncodeToString(inc.LeafHash[:]),
		Checkpoint: string(inc.Signed.Note), Hashes: make([]string, len(inc.Proof))}
	for i, h := range inc.Proof {
		p.Hashes[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return p
}

// withheld names what is held about u but never exported.
func withheld(u *launchpad.User) []Withheld {
	out := []Withheld{
		{Name: "refresh and access tokens", Why: "stored only as hashes; a token is a credential"},
		{Name: "sign-in codes", Why: "stored only as an HMAC, valid 15 minutes; a code is a credential"},
		{Name: "device cookies", Why: "stored only as a fingerprint hash; a cookie is a credential"},
	}
	if u.OpenRouterKey != "" {
		out = append(out, Withheld{Name: "OpenRouter sub-key", Why: "a credential, stored sealed (AES-256-GCM); its hash is in profile.openrouter_key_hash"})
	}
	if u.BYOKKey != "" {
		out = append(out, Withheld{Name: "bring-your-own model key", Why: "a credential, stored sealed (AES-256-GCM)"})
	}
	if u.MFA.SealedSecret != "" {
		out = append(out, Withheld{Name: "TOTP secret", Why: "a credential, stored sealed (AES-256-GCM)"})
	}
	if len(u.MFA.RecoveryCodes) > 0 {
		out = append(out, Withheld{Name: "recovery codes", Why: "credentials, stored only as hashes; their count is in profile.recovery_codes_left"})
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
