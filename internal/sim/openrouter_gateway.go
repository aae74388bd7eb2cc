package sim

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
)

// The gateway is the part of OpenRouter that serves completions with a key and meters
// what they cost against it. The simulator models only that metering: a completion
// "costs" a fixed or requested amount and answers a canned message.

// Reasons a gateway call is refused; match them with errors.Is.
var (
	// ErrKeyUnauthorized: the key is unknown, deleted, disabled or expired (401).
	ErrKeyUnauthorized = errors.New("key unauthorized")
	// ErrKeyLimitExceeded: the key's spend limit is reached for its current period
	// (402 by default, or 403; see OpenRouterOptions.KeyLimitStatus).
	ErrKeyLimitExceeded = errors.New("key limit exceeded")
)

// GatewayError is a refusal by the simulated gateway, with the HTTP status and message the
// gateway answers. It never contains the key.
type GatewayError struct {
	Status  int
	Message string
	reason  error
}

func (e *GatewayError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Is matches ErrKeyUnauthorized and ErrKeyLimitExceeded.
func (e *GatewayError) Is(target error) bool { return target == e.reason }

// Spend charges usd of OpenRouter credit to the key (its plaintext, as the gateway sees
// it). It refuses — *GatewayError matching ErrKeyUnauthorized (401) for an unknown,
// deleted, disabled or expired key, ErrKeyLimitExceeded once usage has reached the limit
// for the key's period — and then charges nothing. A charge that takes usage past the
// limit is allowed (as the gateway finishes the request in flight); the next is refused.
func (o *OpenRouter) Spend(key string, usd float64) error {
	return o.spend(keyHash(key), usd, false)
}

// SpendByHash is Spend for a key known by its hash.
func (o *OpenRouter) SpendByHash(hash string, usd float64) error {
	return o.spend(hash, usd, false)
}

// SpendBYOK records usd spent through the user's own provider key (BYOK). It counts
// against the limit only when the key has include_byok_in_limit.
func (o *OpenRouter) SpendBYOK(key string, usd float64) error {
	return o.spend(keyHash(key), usd, true)
}

func (o *OpenRouter) spend(hash string, usd float64, byok bool) error {
	if usd < 0 || math.IsNaN(usd) || math.IsInf(usd, 0) {
		return fmt.Errorf("sim: spend %v USD: the amount must be a finite number of at least 0", usd)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k, gerr := o.usableKeyLocked(hash)
	if gerr != nil {
		return gerr
	}
	now := o.clock.Now()
	k.roll(now)
	if k.exhausted() {
		return o.limitErrorLocked(k)
	}
	if byok {
		k.BYOKUsage.add(usd, now)
	} else {
		k.Usage.add(usd, now)
	}
	return nil
}

// usableKeyLocked finds a key the gateway would accept.
func (o *OpenRouter) usableKeyLocked(hash string) (*orKey, *GatewayError) {
	k, ok := o.st.Keys[hash]
	if !ok || k.Disabled || k.expired(o.clock.Now()) {
		return nil, &GatewayError{Status: http.StatusUnauthorized, Message: "User not found.", reason: ErrKeyUnauthorized}
	}
	return k, nil
}

// limitErrorLocked is the gateway's answer to an exhausted key, naming the period as the
// live gateway does ("Key limit exceeded (monthly limit)").
func (o *OpenRouter) limitErrorLocked(k *orKey) *GatewayError {
	period := k.LimitReset
	if period == "" {
		period = "total"
	}
	return &GatewayError{
		Status:  o.limitStatus,
		Message: fmt.Sprintf("Key limit exceeded (%s limit). Manage it using https://openrouter.ai/settings/keys", period),
		reason:  ErrKeyLimitExceeded,
	}
}

// chatCompletion: POST /api/v1/chat/completions with "Authorization: Bearer <key>" and an
// OpenAI-style body. Each call costs X-Sim-Cost-USD (default CompletionCostUSD), charged as
// BYOK usage with "X-Sim-BYOK: true". Refusals: 401 without or with a bad key, 403 for the
// management key, KeyLimitStatus (402 or 403) once the key's limit is reached.
func (o *OpenRouter) chatCompletion(w http.ResponseWriter, r *http.Request) {
	tok := bearer(r)
	if tok == "" {
		writeORError(w, http.StatusUnauthorized, "No auth credentials found")
		return
	}
	if o.isManagement(r) {
		writeORError(w, http.StatusForbidden, "Management keys cannot make completion requests: use an API key")
		return
	}
	var req struct {
		Model    string           `json:"model"`
		Messages []map[string]any `json:"messages"`
	}
	if !decodeOr(w, r, &req, false, writeORError) {
		return
	}
	if len(req.Messages) == 0 {
		writeORError(w, http.StatusBadRequest, "messages is required: a non-empty array of chat messages")
		return
	}
	cost := o.cost
	if v := r.Header.Get("X-Sim-Cost-USD"); v != "" {
		c, err := strconv.ParseFloat(v, 64)
		if err != nil || c < 0 || math.IsInf(c, 0) {
			writeORError(w, http.StatusBadRequest, fmt.Sprintf("X-Sim-Cost-USD %q must be a number of USD of at least 0", v))
			return
		}
		cost = c
	}
	err := o.spend(keyHash(tok), cost, r.Header.Get("X-Sim-BYOK") == "true")
	var gerr *GatewayError
	if errors.As(err, &gerr) {
		writeORError(w, gerr.Status, gerr.Message)
		return
	}
	model := req.Model
	if model == "" {
		model = "openrouter/auto"
	}
	now := o.clock.Now()
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "gen-" + strconv.FormatInt(now.Unix(), 10) + "-" + randomFrom(lowerAlnum, 20), "object": "chat.completion",
		"created": now.Unix(), "model": model, "provider": "simulator",
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": "This is a simulated completion."},
		}},
		"usage": map[string]any{"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17, "cost": cost},
	})
}
