package launchpad_test

import (
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestResolveKey(t *testing.T) {
	const paid = "pro"
	for _, tc := range []struct {
		name    string
		in      launchpad.KeyAvailability
		want    launchpad.KeySource
		wantErr []string // substrings of the error message
	}{
		// BYOK wins over everything.
		{"byok only", launchpad.KeyAvailability{HasBYOK: true, Plan: paid}, launchpad.KeySourceBYOK, nil},
		{"byok over sub-key and pooled", launchpad.KeyAvailability{HasBYOK: true, HasSubKey: true, HasPooled: true, Plan: launchpad.TrialPlan}, launchpad.KeySourceBYOK, nil},
		{"byok with a revoked sub-key", launchpad.KeyAvailability{HasBYOK: true, HasSubKey: true, SubKeyDisabled: true, Plan: paid}, launchpad.KeySourceBYOK, nil},
		{"byok on a paid plan with pooled refused", launchpad.KeyAvailability{HasBYOK: true, HasPooled: true, Plan: paid}, launchpad.KeySourceBYOK, nil},

		// Then the tenant's sub-key.
		{"sub-key on a paid plan", launchpad.KeyAvailability{HasSubKey: true, Plan: paid}, launchpad.KeySourceSubKey, nil},
		{"sub-key over pooled on trial", launchpad.KeyAvailability{HasSubKey: true, HasPooled: true, Plan: launchpad.TrialPlan}, launchpad.KeySourceSubKey, nil},
		{"sub-key over pooled when pooled is allowed", launchpad.KeyAvailability{HasSubKey: true, HasPooled: true, Plan: paid, PlanAllowsPooled: true}, launchpad.KeySourceSubKey, nil},

		// A revoked sub-key stays the tenant's key (it stops spending); it never falls back to
		// the pooled key, which has no per-tenant cap.
		{"revoked sub-key does not fall back to pooled on trial", launchpad.KeyAvailability{HasSubKey: true, SubKeyDisabled: true, HasPooled: true, Plan: launchpad.TrialPlan}, launchpad.KeySourceSubKey, nil},
		{"revoked sub-key does not fall back to pooled when allowed", launchpad.KeyAvailability{HasSubKey: true, SubKeyDisabled: true, HasPooled: true, Plan: paid, PlanAllowsPooled: true}, launchpad.KeySourceSubKey, nil},
		{"revoked sub-key and nothing else", launchpad.KeyAvailability{HasSubKey: true, SubKeyDisabled: true, Plan: launchpad.TrialPlan}, launchpad.KeySourceSubKey, nil},

		// Pooled: trial only, unless the plan allows it.
		{"pooled on trial", launchpad.KeyAvailability{HasPooled: true, Plan: launchpad.TrialPlan}, launchpad.KeySourcePooled, nil},
		{"pooled refused for a paid plan", launchpad.KeyAvailability{HasPooled: true, Plan: paid}, "", []string{`"pro"`, "spend cap", "allow_pooled_key = true", "subkey_hash"}},
		{"pooled allowed by the plan", launchpad.KeyAvailability{HasPooled: true, Plan: paid, PlanAllowsPooled: true}, launchpad.KeySourcePooled, nil},
		{"pooled refused when the plan is unknown", launchpad.KeyAvailability{HasPooled: true}, "", []string{"allow_pooled_key"}},

		// Nothing at all.
		{"no key on trial", launchpad.KeyAvailability{Plan: launchpad.TrialPlan}, "", []string{"no model key", "OPENROUTER_POOLED_KEY"}},
		{"no key on a paid plan that allows pooled", launchpad.KeyAvailability{Plan: paid, PlanAllowsPooled: true}, "", []string{"no model key"}},
		{"disabled flag without a sub-key", launchpad.KeyAvailability{SubKeyDisabled: true, Plan: paid}, "", []string{"no model key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := launchpad.ResolveKey(tc.in)
			if tc.wantErr != nil {
				requireInvalid(t, err, tc.wantErr...)
				if got != "" {
					t.Fatalf("ResolveKey returned %q with an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ResolveKey(%+v) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
