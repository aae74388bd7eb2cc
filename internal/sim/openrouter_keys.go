package sim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// keysPageSize is how many keys one GET /keys page holds; the spec pages with offset but
// does not state a size.
const keysPageSize = 100

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// keyJSON is a key as the /keys endpoints answer it: every field the spec requires, and
// never the key itself.
type keyJSON struct {
	Hash               string   `json:"hash"`
	Name               string   `json:"name"`
	Label              string   `json:"label"`
	Disabled           bool     `json:"disabled"`
	Limit              *float64 `json:"limit"`
	LimitRemaining     *float64 `json:"limit_remaining"`
	LimitReset         *string  `json:"limit_reset"`
	IncludeBYOKInLimit bool     `json:"include_byok_in_limit"`
	Usage              float64  `json:"usage"`
	UsageDaily         float64  `json:"usage_daily"`
	UsageWeekly        float64  `json:"usage_weekly"`
	UsageMonthly       float64  `json:"usage_monthly"`
	BYOKUsage          float64  `json:"byok_usage"`
	BYOKUsageDaily     float64  `json:"byok_usage_daily"`
	BYOKUsageWeekly    float64  `json:"byok_usage_weekly"`
	BYOKUsageMonthly   float64  `json:"byok_usage_monthly"`
	CreatedAt          string   `json:"created_at"`
	UpdatedAt          *string  `json:"updated_at"`
	CreatorUserID      *string  `json:"creator_user_id"`
	WorkspaceID        string   `json:"workspace_id"`
	ExpiresAt          *string  `json:"expires_at"`
}

// keyJSONLocked renders k as of now (usage windows rolled to now).
func (o *OpenRouter) keyJSONLocked(k *orKey) keyJSON {
	k.roll(o.clock.Now())
	out := keyJSON{
		Hash: k.Hash, Name: k.Name, Label: k.Label, Disabled: k.Disabled,
		Limit: k.Limit, LimitRemaining: k.remaining(), LimitReset: nullable(k.LimitReset),
		IncludeBYOKInLimit: k.IncludeBYOK,
		Usage:              k.Usage.Total, UsageDaily: k.Usage.Daily, UsageWeekly: k.Usage.Weekly, UsageMonthly: k.Usage.Monthly,
		BYOKUsage: k.BYOKUsage.Total, BYOKUsageDaily: k.BYOKUsage.Daily, BYOKUsageWeekly: k.BYOKUsage.Weekly, BYOKUsageMonthly: k.BYOKUsage.Monthly,
		CreatedAt: isoTime(k.CreatedAt), CreatorUserID: k.CreatorUserID, WorkspaceID: k.WorkspaceID,
	}
	if !k.UpdatedAt.IsZero() { // null until the first update, as the spec's create answer shows
		updated := isoTime(k.UpdatedAt)
		out.UpdatedAt = &updated
	}
	if k.ExpiresAt != nil {
		s := isoTime(*k.ExpiresAt)
		out.ExpiresAt = &s
	}
	return out
}

// isoTime formats t as OpenRouter does: ISO 8601 in UTC.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// createKey: POST /api/v1/keys {name, limit?, limit_reset?, include_byok_in_limit?,
// expires_at?, creator_user_id?, workspace_id?} → 201 {"data": key, "key": plaintext}. The
// plaintext exists in this response and nowhere else: the simulator keeps only its hash.
func (o *OpenRouter) createKey(w http.ResponseWriter, r *http.Request) {
	var fields map[string]json.RawMessage
	if !decodeOr(w, r, &fields, false, writeORError) {
		return
	}
	if fields == nil {
		writeORError(w, http.StatusBadRequest, "request body must be a JSON object")
		return
	}
	var in keyFields
	if err := in.parse(fields, true, o.clock.Now()); err != nil {
		writeORError(w, http.StatusBadRequest, err.Error())
		return
	}
	plaintext := newOpenRouterKey()
	now := o.clock.Now().UTC()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.st.NextSeq++
	k := &orKey{
		Hash: keyHash(plaintext), Seq: o.st.NextSeq, Name: *in.name, Label: keyLabel(plaintext),
		WorkspaceID: o.st.WorkspaceID, CreatedAt: now,
		CreatorUserID: in.creatorUserID, ExpiresAt: in.expiresAt,
	}
	if in.workspaceID != "" {
		k.WorkspaceID = in.workspaceID
	}
	in.apply(k)
	k.roll(now)
	o.st.Keys[k.Hash] = k
	writeJSON(w, http.StatusCreated, map[string]any{"data": o.keyJSONLocked(k), "key": plaintext})
}

// listKeys: GET /api/v1/keys[?include_disabled=true][&offset=N][&workspace_id=…] →
// {"data": [key…]}, newest first, keysPageSize per page.
func (o *OpenRouter) listKeys(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	includeDisabled := false
	switch v := q.Get("include_disabled"); v {
	case "", "false":
	case "true":
		includeDisabled = true
	default:
		writeORError(w, http.StatusBadRequest, fmt.Sprintf("include_disabled must be \"true\" or \"false\", not %q", v))
		return
	}
	offset := 0
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeORError(w, http.StatusBadRequest, fmt.Sprintf("offset must be a whole number of at least 0, not %q", v))
			return
		}
		offset = n
	}
	workspace := q.Get("workspace_id")
	if workspace != "" && !uuidPattern.MatchString(workspace) {
		writeORError(w, http.StatusBadRequest, fmt.Sprintf("workspace_id must be a UUID, not %q", workspace))
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if workspace == "" {
		workspace = o.st.WorkspaceID
	}
	keys := slices.Collect(maps.Values(o.st.Keys))
	keys = slices.DeleteFunc(keys, func(k *orKey) bool {
		return k.WorkspaceID != workspace || (k.Disabled && !includeDisabled)
	})
	slices.SortFunc(keys, func(a, b *orKey) int { return cmp.Compare(b.Seq, a.Seq) })
	page := []keyJSON{}
	for i := offset; i < len(keys) && i < offset+keysPageSize; i++ {
		page = append(page, o.keyJSONLocked(keys[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": page})
}

// getKey: GET /api/v1/keys/{hash} → {"data": key}, or 404.
func (o *OpenRouter) getKey(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k, ok := o.st.Keys[r.PathValue("hash")]
	if !ok {
		writeORError(w, http.StatusNotFound, "Resource not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": o.keyJSONLocked(k)})
}

// updateKey: PATCH /api/v1/keys/{hash} {name?, disabled?, include_byok_in_limit?, limit?,
// limit_reset?} → {"data": key}. An explicit null limit or limit_reset removes it.
func (o *OpenRouter) updateKey(w http.ResponseWriter, r *http.Request) {
	var fields map[string]json.RawMessage
	if !decodeOr(w, r, &fields, false, writeORError) {
		return
	}
	var in keyFields
	if err := in.parse(fields, false, o.clock.Now()); err != nil {
		writeORError(w, http.StatusBadRequest, err.Error())
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k, ok := o.st.Keys[r.PathValue("hash")]
	if !ok {
		writeORError(w, http.StatusNotFound, "Resource not found")
		return
	}
	if in.name != nil {
		k.Name = *in.name
	}
	in.apply(k)
	k.UpdatedAt = o.clock.Now().UTC()
	writeJSON(w, http.StatusOK, map[string]any{"data": o.keyJSONLocked(k)})
}

// deleteKey: DELETE /api/v1/keys/{hash} → {"deleted": true}; the key stops working at once
// (401 at the gateway) and answers 404 here afterwards.
func (o *OpenRouter) deleteKey(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	hash := r.PathValue("hash")
	if _, ok := o.st.Keys[hash]; !ok {
		writeORError(w, http.StatusNotFound, "Resource not found")
		return
	}
	delete(o.st.Keys, hash)
	writeJSON(w, http.StatusOK, map[string]bool{"deleted": true})
}

// currentKey: GET /api/v1/key → {"data": …} about the bearer key itself (the management
// key included). A missing, unknown, deleted, disabled or expired key is a 401.
func (o *OpenRouter) currentKey(w http.ResponseWriter, r *http.Request) {
	tok := bearer(r)
	if tok == "" {
		writeORError(w, http.StatusUnauthorized, "Missing Authentication header")
		return
	}
	rateLimit := map[string]any{"requests": -1, "interval": "10s", "note": "This field is deprecated and safe to ignore."}
	if o.isManagement(r) {
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
			"label": keyLabel(tok), "limit": nil, "limit_remaining": nil, "limit_reset": nil, "include_byok_in_limit": false,
			"usage": 0, "usage_daily": 0, "usage_weekly": 0, "usage_monthly": 0,
			"byok_usage": 0, "byok_usage_daily": 0, "byok_usage_weekly": 0, "byok_usage_monthly": 0,
			"is_free_tier": false, "is_management_key": true, "is_provisioning_key": true,
			"creator_user_id": nil, "expires_at": nil, "rate_limit": rateLimit,
		}})
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k, err := o.usableKeyLocked(keyHash(tok))
	if err != nil {
		writeORError(w, err.Status, err.Message)
		return
	}
	kj := o.keyJSONLocked(k)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"label": kj.Label, "limit": kj.Limit, "limit_remaining": kj.LimitRemaining, "limit_reset": kj.LimitReset,
		"include_byok_in_limit": kj.IncludeBYOKInLimit,
		"usage":                 kj.Usage, "usage_daily": kj.UsageDaily, "usage_weekly": kj.UsageWeekly, "usage_monthly": kj.UsageMonthly,
		"byok_usage": kj.BYOKUsage, "byok_usage_daily": kj.BYOKUsageDaily, "byok_usage_weekly": kj.BYOKUsageWeekly, "byok_usage_monthly": kj.BYOKUsageMonthly,
		"is_free_tier": false, "is_management_key": false, "is_provisioning_key": false,
		"creator_user_id": kj.CreatorUserID, "expires_at": kj.ExpiresAt, "rate_limit": rateLimit,
	}})
}

// keyFields are the writable fields of create and update, parsed and validated; a nil
// pointer means "not given", set* flags distinguish an explicit null.
type keyFields struct {
	name          *string
	limit         *float64
	setLimit      bool
	limitReset    string
	setLimitReset bool
	includeBYOK   *bool
	disabled      *bool
	expiresAt     *time.Time
	creatorUserID *string
	workspaceID   string
}

// parse reads fields of a create (requireName) or update body. Errors are 400 messages.
func (k *keyFields) parse(f map[string]json.RawMessage, create bool, now time.Time) error {
	get := func(name string, v any) (bool, error) {
		raw, ok := f[name]
		if !ok || string(raw) == "null" {
			return ok, nil
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return true, fmt.Errorf("%s has the wrong type: %v", name, err)
		}
		return true, nil
	}
	var name string
	if ok, err := get("name", &name); err != nil {
		return err
	} else if ok || create {
		if strings.TrimSpace(name) == "" {
			return fmt.Errorf("name is required: a non-empty string")
		}
		k.name = &name
	}
	var limit float64
	if ok, err := get("limit", &limit); err != nil {
		return err
	} else if ok {
		k.setLimit = true
		if string(f["limit"]) != "null" {
			if limit < 0 || math.IsNaN(limit) || math.IsInf(limit, 0) {
				return fmt.Errorf("limit must be a number of USD of at least 0 (or null for no limit), not %v", limit)
			}
			k.limit = &limit
		}
	}
	var reset string
	if ok, err := get("limit_reset", &reset); err != nil {
		return err
	} else if ok {
		if string(f["limit_reset"]) != "null" && reset != "daily" && reset != "weekly" && reset != "monthly" {
			return fmt.Errorf("limit_reset must be \"daily\", \"weekly\", \"monthly\" or null, not %q", reset)
		}
		k.limitReset, k.setLimitReset = reset, true
	}
	var b bool
	if ok, err := get("include_byok_in_limit", &b); err != nil {
		return err
	} else if ok && string(f["include_byok_in_limit"]) != "null" {
		v := b
		k.includeBYOK = &v
	}
	if !create {
		var d bool
		if ok, err := get("disabled", &d); err != nil {
			return err
		} else if ok && string(f["disabled"]) != "null" {
			k.disabled = &d
		}
		return nil
	}
	var expires string
	if ok, err := get("expires_at", &expires); err != nil {
		return err
	} else if ok && expires != "" {
		t, err := time.Parse(time.RFC3339Nano, expires)
		if err != nil || (!strings.HasSuffix(expires, "Z") && !strings.HasSuffix(expires, "+00:00")) {
			return fmt.Errorf("expires_at must be an ISO 8601 time in UTC, like \"2027-12-31T23:59:59Z\" (other time zones are rejected), not %q", expires)
		}
		if !t.After(now) {
			return fmt.Errorf("expires_at %q is not in the future", expires)
		}
		t = t.UTC()
		k.expiresAt = &t
	}
	var creator string
	if ok, err := get("creator_user_id", &creator); err != nil {
		return err
	} else if ok && string(f["creator_user_id"]) != "null" {
		if creator == "" {
			return fmt.Errorf("creator_user_id must be a non-empty string or null")
		}
		k.creatorUserID = &creator
	}
	var ws string
	if ok, err := get("workspace_id", &ws); err != nil {
		return err
	} else if ok && ws != "" {
		if !uuidPattern.MatchString(ws) {
			return fmt.Errorf("workspace_id must be a UUID, not %q", ws)
		}
		k.workspaceID = ws
	}
	return nil
}

// apply writes the limit fields to key.
func (k *keyFields) apply(key *orKey) {
	if k.setLimit {
		key.Limit = k.limit
	}
	if k.setLimitReset {
		key.LimitReset = k.limitReset
	}
	if k.includeBYOK != nil {
		key.IncludeBYOK = *k.includeBYOK
	}
	if k.disabled != nil {
		key.Disabled = *k.disabled
	}
}
