package openrouter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// keyData is a key as the API describes it (never with its plaintext).
type keyData struct {
	Hash               string   `json:"hash"`
	Name               string   `json:"name"`
	Label              string   `json:"label"`
	Disabled           bool     `json:"disabled"`
	Limit              *float64 `json:"limit"`
	LimitRemaining     *float64 `json:"limit_remaining"`
	LimitReset         *string  `json:"limit_reset"` // null: the limit never resets
	IncludeBYOKInLimit bool     `json:"include_byok_in_limit"`
	Usage              float64  `json:"usage"`
	CreatedAt          string   `json:"created_at"`
	UpdatedAt          *string  `json:"updated_at"`
}

// createRequest is the body of POST /keys. An unset limit or reset is left out (no limit,
// no reset).
type createRequest struct {
	Name               string   `json:"name"`
	Limit              *float64 `json:"limit,omitempty"`
	LimitReset         *string  `json:"limit_reset,omitempty"`
	IncludeBYOKInLimit bool     `json:"include_byok_in_limit"`
}

// createAnswer is the answer to POST /keys: the one place the plaintext appears.
type createAnswer struct {
	Data keyData `json:"data"`
	Key  string  `json:"key"`
}

type oneAnswer struct {
	Data keyData `json:"data"`
}

type listAnswer struct {
	Data []keyData `json:"data"`
}

// maxPages stops ListKeys against a server that ignores offset.
const maxPages = 1000

// CreateKey mints a key and returns its plaintext. It is idempotent by name (see the package
// comment): after an ambiguous failure, keys named s.Name that did not exist before the call
// are orphans whose plaintext was lost; they are deleted and a key is minted again.
//
// Telling orphans from older keys of the same name costs one listing of all keys before the
// mint (a request per page of keys). That is the price of never deleting a key this call did
// not make; CreateKey is rare (once per subscription), so it is paid there.
func (c *Client) CreateKey(ctx context.Context, s launchpad.KeySpec) (*launchpad.IssuedKey, error) {
	if err := validateSpec(s); err != nil {
		return nil, err
	}
	op := fmt.Sprintf("creating OpenRouter key %q", s.Name)
	before, err := c.hashesNamed(ctx, s.Name, op)
	if err != nil {
		return nil, err
	}
	req := createRequest{Name: s.Name, Limit: s.LimitUSD, IncludeBYOKInLimit: s.IncludeBYOKInLimit}
	if s.LimitReset != "" {
		req.LimitReset = &s.LimitReset
	}
	var got createAnswer
	err = c.call(ctx, op, callOptions{
		afterAmbiguous: func(ctx context.Context) (bool, error) {
			return false, c.deleteOrphans(ctx, s.Name, before, op)
		},
	}, func(ctx context.Context) error {
		got = createAnswer{}
		if err := c.send(ctx, http.MethodPost, "/keys", nil, req, &got); err != nil {
			return err
		}
		if got.Key == "" || got.Data.Hash == "" {
			// Applied, but without what the caller needs: an orphan, handled as ambiguous.
			return errors.New("OpenRouter's answer has no key or no hash")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	info := toKeyInfo(got.Data)
	return &launchpad.IssuedKey{Key: got.Key, Info: *info}, nil
}

// hashesNamed returns the hashes of the keys called name.
func (c *Client) hashesNamed(ctx context.Context, name, op string) (map[string]bool, error) {
	keys, err := c.listKeys(ctx, op)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, k := range keys {
		if k.Name == name {
			out[k.Hash] = true
		}
	}
	return out, nil
}

// deleteOrphans deletes the keys called name that are not in before: keys minted by this
// call whose answer (and so plaintext) was lost.
func (c *Client) deleteOrphans(ctx context.Context, name string, before map[string]bool, op string) error {
	keys, err := c.listKeys(ctx, op)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Name != name || before[k.Hash] {
			continue
		}
		err := c.call(ctx, op+": deleting key "+k.Hash+" whose answer was lost", callOptions{}, func(ctx context.Context) error {
			return c.send(ctx, http.MethodDelete, "/keys/"+url.PathEscape(k.Hash), nil, nil, nil)
		})
		if err != nil && !launchpad.IsNotFound(err) {
			return err
		}
		c.log.Info("openrouter: deleted a key whose plaintext was lost with a dropped answer; minting again", "name", name, "hash", k.Hash)
	}
	return nil
}

// GetKey returns a key's description, or ENOTFOUND.
func (c *Client) GetKey(ctx context.Context, hash string) (*launchpad.KeyInfo, error) {
	if hash == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "reading an OpenRouter key: the hash is empty")
	}
	return c.oneKey(ctx, "reading OpenRouter key "+hash, http.MethodGet, hash, nil)
}

// oneKey sends method to the key hash, with body when not nil, and returns the key the answer
// describes. Only a GET and a PATCH come here: both are repeatable, so every failure is
// simply retried.
func (c *Client) oneKey(ctx context.Context, op, method, hash string, body any) (*launchpad.KeyInfo, error) {
	var got oneAnswer
	err := c.call(ctx, op, callOptions{}, func(ctx context.Context) error {
		return c.send(ctx, method, "/keys/"+url.PathEscape(hash), nil, body, &got)
	})
	if err != nil {
		return nil, err
	}
	return toKeyInfo(got.Data), nil
}

// ListKeys returns every key, disabled ones included, following the API's offset paging.
func (c *Client) ListKeys(ctx context.Context) ([]*launchpad.KeyInfo, error) {
	keys, err := c.listKeys(ctx, "listing OpenRouter keys")
	if err != nil {
		return nil, err
	}
	out := make([]*launchpad.KeyInfo, 0, len(keys))
	for _, k := range keys {
		out = append(out, toKeyInfo(k))
	}
	return out, nil
}

func (c *Client) listKeys(ctx context.Context, op string) ([]keyData, error) {
	var all []keyData
	seen := map[string]bool{}
	for page := 0; page < maxPages; page++ {
		q := url.Values{"include_disabled": {"true"}}
		if len(all) > 0 {
			q.Set("offset", strconv.Itoa(len(all)))
		}
		var got listAnswer
		err := c.call(ctx, op, callOptions{}, func(ctx context.Context) error {
			got = listAnswer{}
			return c.send(ctx, http.MethodGet, "/keys", q, nil, &got)
		})
		if err != nil {
			return nil, err
		}
		fresh := 0
		for _, k := range got.Data {
			if !seen[k.Hash] {
				seen[k.Hash] = true
				all = append(all, k)
				fresh++
			}
		}
		if fresh == 0 { // an empty page, or a server that ignores offset
			return all, nil
		}
	}
	return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "%s: more than %d pages of keys; OpenRouter's paging does not seem to end", op, maxPages)
}

// UpdateKey changes the fields of u that are set (a PATCH with only those). A LimitReset set
// to "" clears the reset (JSON null). With nothing set it only reads the key.
func (c *Client) UpdateKey(ctx context.Context, hash string, u launchpad.KeyUpdate) (*launchpad.KeyInfo, error) {
	if hash == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "updating an OpenRouter key: the hash is empty")
	}
	body := map[string]any{}
	if u.Name != nil {
		if *u.Name == "" {
			return nil, launchpad.Errorf(launchpad.EINVALID, "updating OpenRouter key %s: the new name is empty", hash)
		}
		body["name"] = *u.Name
	}
	if u.LimitUSD != nil {
		if err := validateLimit(*u.LimitUSD); err != nil {
			return nil, launchpad.Errorf(launchpad.EINVALID, "updating OpenRouter key %s: %s", hash, launchpad.ErrorMessage(err))
		}
		body["limit"] = *u.LimitUSD
	}
	if u.LimitReset != nil {
		if err := validateReset(*u.LimitReset); err != nil {
			return nil, launchpad.Errorf(launchpad.EINVALID, "updating OpenRouter key %s: %s", hash, launchpad.ErrorMessage(err))
		}
		if *u.LimitReset == "" {
			body["limit_reset"] = nil
		} else {
			body["limit_reset"] = *u.LimitReset
		}
	}
	if u.IncludeBYOKInLimit != nil {
		body["include_byok_in_limit"] = *u.IncludeBYOKInLimit
	}
	if u.Disabled != nil {
		body["disabled"] = *u.Disabled
	}
	if len(body) == 0 {
		return c.GetKey(ctx, hash)
	}
	// A PATCH of the same fields is repeatable.
	return c.oneKey(ctx, "updating OpenRouter key "+hash, http.MethodPatch, hash, body)
}

// DeleteKey revokes a key. A missing key is ENOTFOUND (done).
func (c *Client) DeleteKey(ctx context.Context, hash string) error {
	if hash == "" {
		return launchpad.Errorf(launchpad.EINVALID, "deleting an OpenRouter key: the hash is empty")
	}
	return c.call(ctx, "deleting OpenRouter key "+hash, callOptions{}, func(ctx context.Context) error {
		return c.send(ctx, http.MethodDelete, "/keys/"+url.PathEscape(hash), nil, nil, nil)
	})
}

func validateSpec(s launchpad.KeySpec) error {
	if s.Name == "" {
		return launchpad.Errorf(launchpad.EINVALID, "creating an OpenRouter key: the name is empty; every key gets a unique name so a retried create can find it")
	}
	if s.LimitUSD != nil {
		if err := validateLimit(*s.LimitUSD); err != nil {
			return launchpad.Errorf(launchpad.EINVALID, "creating OpenRouter key %q: %s", s.Name, launchpad.ErrorMessage(err))
		}
	}
	if err := validateReset(s.LimitReset); err != nil {
		return launchpad.Errorf(launchpad.EINVALID, "creating OpenRouter key %q: %s", s.Name, launchpad.ErrorMessage(err))
	}
	return nil
}

func validateLimit(usd float64) error {
	if math.IsNaN(usd) || math.IsInf(usd, 0) || usd < 0 {
		return launchpad.Errorf(launchpad.EINVALID, "the spend limit %v is not valid: give US dollars, 0 or more (for example 20)", usd)
	}
	return nil
}

func validateReset(reset string) error {
	switch reset {
	case "", launchpad.LimitResetDaily, launchpad.LimitResetWeekly, launchpad.LimitResetMonthly:
		return nil
	}
	return launchpad.Errorf(launchpad.EINVALID, "limit reset %q is not valid: use %q, %q, %q, or leave it empty for a limit that never resets", reset, launchpad.LimitResetDaily, launchpad.LimitResetWeekly, launchpad.LimitResetMonthly)
}

func toKeyInfo(k keyData) *launchpad.KeyInfo {
	out := &launchpad.KeyInfo{
		Hash:               k.Hash,
		Name:               k.Name,
		Label:              k.Label,
		LimitUSD:           k.Limit,
		LimitRemaining:     k.LimitRemaining,
		IncludeBYOKInLimit: k.IncludeBYOKInLimit,
		UsageUSD:           k.Usage,
		Disabled:           k.Disabled,
		CreatedAt:          retry.ParseTime(k.CreatedAt),
	}
	if k.LimitReset != nil {
		out.LimitReset = *k.LimitReset
	}
	if k.UpdatedAt != nil {
		out.UpdatedAt = retry.ParseTime(*k.UpdatedAt)
	}
	return out
}
