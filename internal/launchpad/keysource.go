package launchpad

// KeySource says where a tenant's model key comes from.
type KeySource string

const (
	KeySourceBYOK   KeySource = "byok"   // the user's own key, stored sealed
	KeySourceSubKey KeySource = "subkey" // the tenant's OpenRouter sub-key with its hard spend cap
	KeySourcePooled KeySource = "pooled" // the platform's shared key; trial plans only unless allowed
)

// KeyAvailability is what ResolveKey chooses from.
type KeyAvailability struct {
	HasBYOK   bool
	HasSubKey bool
	// SubKeyDisabled is true when the sub-key exists but was revoked. A revoked key is still
	// the tenant's key when there is no BYOK key: the tenant stops spending, rather than
	// falling back to the pooled key, which has no per-tenant cap.
	SubKeyDisabled bool
	HasPooled      bool
	// Plan is the tenant's plan name; PlanAllowsPooled its allow_pooled_key.
	Plan             string
	PlanAllowsPooled bool
}

// ResolveKey applies the key-resolution order: the user's BYOK key if
// stored, else the tenant's sub-key (even a revoked one: see SubKeyDisabled), else the pooled
// platform key — which is refused for paid plans unless the plan allows it, because a pooled
// key has no per-tenant spend cap.
func ResolveKey(a KeyAvailability) (KeySource, error) {
	switch {
	case a.HasBYOK:
		return KeySourceBYOK, nil
	case a.HasSubKey:
		return KeySourceSubKey, nil
	case !a.HasPooled:
		return "", Errorf(EINVALID, "no model key: store a BYOK key, set subkey_hash to a launchpad_subkey, or configure openrouter.pooled_key (OPENROUTER_POOLED_KEY) for trial plans")
	case a.Plan != TrialPlan && !a.PlanAllowsPooled:
		return "", Errorf(EINVALID, "plan %q is paid, and the pooled platform key has no per-tenant spend cap: set subkey_hash to a launchpad_subkey, store a BYOK key, or set allow_pooled_key = true on the plan", a.Plan)
	default:
		return KeySourcePooled, nil
	}
}
