package sqlite

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The nested parts of a user are JSON documents with their own field names, so that renaming
// a Go field cannot silently drop stored data, and with times as Unix microseconds.

type subscriptionDoc struct {
	StripeCustomerID     string            `json:"stripe_customer_id,omitempty"`
	StripeSubscriptionID string            `json:"stripe_subscription_id,omitempty"`
	Status               string            `json:"status,omitempty"`
	PriceID              string            `json:"price_id,omitempty"`
	Plan                 string            `json:"plan,omitempty"`
	CurrentPeriodStart   jsonTime          `json:"current_period_start,omitempty"`
	CurrentPeriodEnd     jsonTime          `json:"current_period_end,omitempty"`
	CancelAtPeriodEnd    bool              `json:"cancel_at_period_end,omitempty"`
	CanceledAt           jsonTime          `json:"canceled_at,omitempty"`
	PastDueSince         jsonTime          `json:"past_due_since,omitempty"`
	EventCreated         jsonTime          `json:"event_created,omitempty"`
	Metadata             map[string]string `json:"metadata,omitempty"`
}

type usageDoc struct {
	CycleStart       jsonTime `json:"cycle_start,omitempty"`
	CycleEnd         jsonTime `json:"cycle_end,omitempty"`
	MachineSeconds   float64  `json:"machine_seconds,omitempty"`
	MeteredUntil     jsonTime `json:"metered_until,omitempty"`
	Running          bool     `json:"running,omitempty"`
	RunningSince     jsonTime `json:"running_since,omitempty"`
	CappedAt         jsonTime `json:"capped_at,omitempty"`
	SpendExhaustedAt jsonTime `json:"spend_exhausted_at,omitempty"`
	SpendWarnedAt    jsonTime `json:"spend_warned_at,omitempty"`
	SpendReadingUSD  float64  `json:"spend_reading_usd,omitempty"`
	SpendReadingKey  string   `json:"spend_reading_key,omitempty"`
	Days             []dayDoc `json:"days,omitempty"`
}

// dayDoc is one launchpad.UsageDay.
type dayDoc struct {
	Day            jsonTime `json:"day"`
	MachineSeconds float64  `json:"machine_seconds,omitempty"`
	SpendUSD       float64  `json:"spend_usd,omitempty"`
}

type controlDoc struct {
	KeyRotationGeneration int64    `json:"key_rotation_generation,omitempty"`
	RebuildGeneration     int64    `json:"rebuild_generation,omitempty"`
	ResetGeneration       int64    `json:"reset_generation,omitempty"`
	LeakResponseKeyID     string   `json:"leak_response_key_id,omitempty"`
	SuspendedAt           jsonTime `json:"suspended_at,omitempty"`
	ErasureRequestedAt    jsonTime `json:"erasure_requested_at,omitempty"`
	ErasureStep           string   `json:"erasure_step,omitempty"`
}

// mfaDoc leaves out MFA.SealedSecret, which has a column of its own like every sealed value.
type mfaDoc struct {
	Confirmed     bool     `json:"confirmed,omitempty"`
	LastStep      int64    `json:"last_step,omitempty"`
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
	EnrolledAt    jsonTime `json:"enrolled_at,omitempty"`
	// ReenrolRequired: the factor must be enrolled again (a leaked platform secret).
	ReenrolRequired bool `json:"reenrol_required,omitempty"`
}

func encodeSubscription(s launchpad.Subscription) (string, error) {
	if err := checkUTF8Map("subscription metadata", s.Metadata); err != nil {
		return "", err
	}
	if err := checkUTF8("subscription", s.StripeCustomerID, s.StripeSubscriptionID, s.Status, s.PriceID, s.Plan); err != nil {
		return "", err
	}
	return encodeDoc(subscriptionDoc{
		StripeCustomerID:     s.StripeCustomerID,
		StripeSubscriptionID: s.StripeSubscriptionID,
		Status:               s.Status,
		PriceID:              s.PriceID,
		Plan:                 s.Plan,
		CurrentPeriodStart:   toJSONTime(s.CurrentPeriodStart),
		CurrentPeriodEnd:     toJSONTime(s.CurrentPeriodEnd),
		CancelAtPeriodEnd:    s.CancelAtPeriodEnd,
		CanceledAt:           toJSONTime(s.CanceledAt),
		PastDueSince:         toJSONTime(s.PastDueSince),
		EventCreated:         toJSONTime(s.EventCreated),
		Metadata:             s.Metadata,
	})
}

func decodeSubscription(text string, s *launchpad.Subscription) error {
	var d subscriptionDoc
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return fmt.Errorf("decoding subscription: %w", err)
	}
	*s = launchpad.Subscription{
		StripeCustomerID:     d.StripeCustomerID,
		StripeSubscriptionID: d.StripeSubscriptionID,
		Status:               d.Status,
		PriceID:              d.PriceID,
		Plan:                 d.Plan,
		CurrentPeriodStart:   fromJSONTime(d.CurrentPeriodStart),
		CurrentPeriodEnd:     fromJSONTime(d.CurrentPeriodEnd),
		CancelAtPeriodEnd:    d.CancelAtPeriodEnd,
		CanceledAt:           fromJSONTime(d.CanceledAt),
		PastDueSince:         fromJSONTime(d.PastDueSince),
		EventCreated:         fromJSONTime(d.EventCreated),
		Metadata:             d.Metadata,
	}
	return nil
}

func encodeUsage(u launchpad.Usage) (string, error) {
	if err := checkUTF8("usage", u.SpendReadingKey); err != nil {
		return "", err
	}
	var days []dayDoc
	for _, d := range u.Days {
		days = append(days, dayDoc{Day: toJSONTime(d.Day), MachineSeconds: d.MachineSeconds, SpendUSD: d.SpendUSD})
	}
	return encodeDoc(usageDoc{
		CycleStart:       toJSONTime(u.CycleStart),
		CycleEnd:         toJSONTime(u.CycleEnd),
		MachineSeconds:   u.MachineSeconds,
		MeteredUntil:     toJSONTime(u.MeteredUntil),
		Running:          u.Running,
		RunningSince:     toJSONTime(u.RunningSince),
		CappedAt:         toJSONTime(u.CappedAt),
		SpendExhaustedAt: toJSONTime(u.SpendExhaustedAt),
		SpendWarnedAt:    toJSONTime(u.SpendWarnedAt),
		SpendReadingUSD:  u.SpendReadingUSD,
		SpendReadingKey:  u.SpendReadingKey,
		Days:             days,
	})
}

func decodeUsage(text string, u *launchpad.Usage) error {
	var d usageDoc
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return fmt.Errorf("decoding usage: %w", err)
	}
	*u = launchpad.Usage{
		CycleStart:       fromJSONTime(d.CycleStart),
		CycleEnd:         fromJSONTime(d.CycleEnd),
		MachineSeconds:   d.MachineSeconds,
		MeteredUntil:     fromJSONTime(d.MeteredUntil),
		Running:          d.Running,
		RunningSince:     fromJSONTime(d.RunningSince),
		CappedAt:         fromJSONTime(d.CappedAt),
		SpendExhaustedAt: fromJSONTime(d.SpendExhaustedAt),
		SpendWarnedAt:    fromJSONTime(d.SpendWarnedAt),
		SpendReadingUSD:  d.SpendReadingUSD,
		SpendReadingKey:  d.SpendReadingKey,
	}
	for _, day := range d.Days {
		u.Days = append(u.Days, launchpad.UsageDay{Day: fromJSONTime(day.Day), MachineSeconds: day.MachineSeconds, SpendUSD: day.SpendUSD})
	}
	return nil
}

func encodeControl(c launchpad.TenantControl) (string, error) {
	return encodeDoc(controlDoc{
		KeyRotationGeneration: c.KeyRotationGeneration,
		RebuildGeneration:     c.RebuildGeneration,
		ResetGeneration:       c.ResetGeneration,
		LeakResponseKeyID:     c.LeakResponseKeyID,
		SuspendedAt:           toJSONTime(c.SuspendedAt),
		ErasureRequestedAt:    toJSONTime(c.ErasureRequestedAt),
		ErasureStep:           c.ErasureStep,
	})
}

func decodeControl(text string, c *launchpad.TenantControl) error {
	var d controlDoc
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return fmt.Errorf("decoding tenant control: %w", err)
	}
	*c = launchpad.TenantControl{
		KeyRotationGeneration: d.KeyRotationGeneration,
		RebuildGeneration:     d.RebuildGeneration,
		ResetGeneration:       d.ResetGeneration,
		LeakResponseKeyID:     d.LeakResponseKeyID,
		SuspendedAt:           fromJSONTime(d.SuspendedAt),
		ErasureRequestedAt:    fromJSONTime(d.ErasureRequestedAt),
		ErasureStep:           d.ErasureStep,
	}
	return nil
}

func encodeMFA(m launchpad.MFA) (string, error) {
	if err := checkUTF8("mfa recovery codes", m.RecoveryCodes...); err != nil {
		return "", err
	}
	return encodeDoc(mfaDoc{
		Confirmed:       m.Confirmed,
		LastStep:        m.LastStep,
		RecoveryCodes:   m.RecoveryCodes,
		EnrolledAt:      toJSONTime(m.EnrolledAt),
		ReenrolRequired: m.ReenrolRequired,
	})
}

// decodeMFA fills m from its document; m.SealedSecret comes from its own column.
func decodeMFA(text string, m *launchpad.MFA) error {
	var d mfaDoc
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return fmt.Errorf("decoding mfa: %w", err)
	}
	*m = launchpad.MFA{
		SealedSecret:    m.SealedSecret,
		Confirmed:       d.Confirmed,
		LastStep:        d.LastStep,
		RecoveryCodes:   d.RecoveryCodes,
		EnrolledAt:      fromJSONTime(d.EnrolledAt),
		ReenrolRequired: d.ReenrolRequired,
	}
	return nil
}

// encodeDoc marshals a document. Its failure (a value JSON cannot hold, such as a NaN) is the
// caller's input, so it is EINVALID.
func encodeDoc(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", launchpad.Errorf(launchpad.EINVALID, "the record cannot be stored: %v", err)
	}
	return string(b), nil
}

// checkUTF8Map refuses keys and values that are not UTF-8: JSON would replace their bytes,
// and the store loses no data silently.
func checkUTF8Map(what string, m map[string]string) error {
	for k, v := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return launchpad.Errorf(launchpad.EINVALID, "%s key %q holds bytes that are not UTF-8 text", what, k)
		}
	}
	return nil
}

// checkUTF8 refuses strings that are not UTF-8, for the same reason.
func checkUTF8(what string, values ...string) error {
	for _, v := range values {
		if !utf8.ValidString(v) {
			return launchpad.Errorf(launchpad.EINVALID, "a %s field holds bytes that are not UTF-8 text", what)
		}
	}
	return nil
}
