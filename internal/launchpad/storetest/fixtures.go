package storetest

import (
	"fmt"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// The fixtures fill every field, nested ones included, with distinct values at microsecond
// precision in UTC, so a field a store forgets or truncates shows up as a difference.

func newUser(id string) *launchpad.User {
	return &launchpad.User{
		ID:                id,
		Email:             id + "@example.com",
		Plan:              "pro",
		OpenRouterKey:     sealedLike(1, 180),
		OpenRouterKeyHash: "orhash-" + id,
		BYOKKey:           sealedLike(2, 120),
		Subscription: launchpad.Subscription{
			StripeCustomerID:     "cus_" + id,
			StripeSubscriptionID: "sub_" + id,
			Status:               "active",
			PriceID:              "price_pro1",
			Plan:                 "pro",
			CurrentPeriodStart:   at(-24 * time.Hour),
			CurrentPeriodEnd:     at(29 * 24 * time.Hour),
			CancelAtPeriodEnd:    true,
			CanceledAt:           at(time.Hour),
			PastDueSince:         at(2 * time.Hour),
			EventCreated:         at(-time.Minute),
			Metadata:             map[string]string{"product": "hermes", "region": "ams", "image": "registry.fly.io/hermes:1"},
		},
		Usage: launchpad.Usage{
			CycleStart:       at(-24 * time.Hour),
			CycleEnd:         at(29 * 24 * time.Hour),
			MachineSeconds:   3600.25,
			MeteredUntil:     at(-time.Second),
			Running:          true,
			RunningSince:     at(-time.Hour),
			CappedAt:         at(3 * time.Hour),
			SpendExhaustedAt: at(4 * time.Hour),
			SpendWarnedAt:    at(150 * time.Minute),
			SpendReadingUSD:  3.125,
			SpendReadingKey:  "orhash-" + id,
			Days: []launchpad.UsageDay{
				{Day: launchpad.UsageDayOf(at(-24 * time.Hour)), MachineSeconds: 1800.25, SpendUSD: 0.5},
				{Day: launchpad.UsageDayOf(at(0)), MachineSeconds: 1800, SpendUSD: 2.625},
			},
		},
		Control: launchpad.TenantControl{
			KeyRotationGeneration: 3,
			RebuildGeneration:     2,
			ResetGeneration:       4,
			LeakResponseKeyID:     "k1-leak",
			SuspendedAt:           at(5 * time.Hour),
			ErasureRequestedAt:    at(6 * time.Hour),
			ErasureStep:           "sessions_ended",
		},
		MFA: launchpad.MFA{
			SealedSecret:    sealedLike(3, 60),
			Confirmed:       true,
			LastStep:        57000001,
			RecoveryCodes:   []string{"rc-hash-1", "rc-hash-2", "rc-hash-3"},
			EnrolledAt:      at(-48 * time.Hour),
			ReenrolRequired: true,
		},
		CreatedAt: at(-72 * time.Hour),
		UpdatedAt: at(-71 * time.Hour),
	}
}

func newPlan(name, priceID string) *launchpad.Plan {
	return &launchpad.Plan{
		Name:                 name,
		DisplayName:          "Plan " + name,
		StripePriceID:        priceID,
		MonthlySpendLimitUSD: 25.5,
		MachineHoursPerCycle: 200,
		Guest:                launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 1024},
		VolumeSizeGB:         10,
		AllowPooledKey:       true,
		CreatedAt:            at(-time.Hour),
		UpdatedAt:            at(-time.Minute),
	}
}

func newTenant(appName, userID string) *launchpad.Tenant {
	return &launchpad.Tenant{
		AppName:           appName,
		UserID:            userID,
		Product:           "hermes",
		Region:            "ams",
		Plan:              "pro",
		Image:             "registry.fly.io/hermes:1",
		Network:           appName,
		MachineID:         "m-" + appName,
		VolumeID:          "vol-" + appName,
		IPv4:              "203.0.113.7",
		IPv6:              "2001:db8::7",
		KeySource:         launchpad.KeySourceSubKey,
		SubKeyHash:        "orhash-" + userID,
		SecretDigest:      "digest-" + appName,
		RebuildGeneration: 3,
		ResetGeneration:   5,
		MachineState:      "started",
		CreatedAt:         at(-time.Hour),
		UpdatedAt:         at(-time.Minute),
	}
}

func newSubKey(hash, userID string) *launchpad.SubKey {
	return &launchpad.SubKey{
		Hash:               hash,
		UserID:             userID,
		Plan:               "pro",
		Name:               "launchpad " + userID,
		LimitUSD:           25.5,
		LimitReset:         launchpad.LimitResetMonthly,
		IncludeBYOKInLimit: true,
		Disabled:           true,
		RotationGeneration: 2,
		CreatedAt:          at(-time.Hour),
		UpdatedAt:          at(-time.Minute),
	}
}

func newStripeEvent(id string, received time.Time) *launchpad.StripeEvent {
	return &launchpad.StripeEvent{
		ID:          id,
		Type:        "customer.subscription.updated",
		Created:     received.Add(-time.Second),
		APIVersion:  "2023-10-16",
		Payload:     []byte(fmt.Sprintf(`{"id":%q,"object":"event","data":{"object":{"status":"active"}}}`, id)),
		ReceivedAt:  received,
		ProcessedAt: received.Add(time.Second),
		Error:       "",
	}
}

// newJob returns a queued job created (and runnable) at created.
func newJob(kind, key string, created time.Time) *launchpad.Job {
	return &launchpad.Job{
		Kind:      kind,
		Key:       key,
		Payload:   []byte(fmt.Sprintf(`{"key":%q}`, key)),
		CreatedAt: created,
		RunAfter:  created,
	}
}

func newSession(id, userID, familyID, tokenHash string, created time.Time) *launchpad.Session {
	return &launchpad.Session{
		ID:         id,
		UserID:     userID,
		FamilyID:   familyID,
		TokenHash:  tokenHash,
		DeviceID:   "dev-" + userID,
		UserAgent:  "Mozilla/5.0 (X11; Linux x86_64) launchpad-test",
		CreatedAt:  created,
		ExpiresAt:  created.Add(30 * 24 * time.Hour),
		IP:         "192.0.2.10",
		LastSeenAt: created,
	}
}

func newAuditEvent(stream, action string) *launchpad.AuditEvent {
	return &launchpad.AuditEvent{
		Stream:  stream,
		Actor:   "user:" + stream,
		Action:  action,
		Target:  "lp-hermes-" + stream,
		Details: map[string]string{"plan": "pro", "note": "grüße ✓"},
	}
}
