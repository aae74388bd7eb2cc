package fly

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// leaseTTL is how long a lease lives, in seconds, if this client dies before releasing it.
// Short, because nothing here holds a lease for longer than one request.
const leaseTTL = 30

// leaseRelease bounds releasing a lease, which runs even when the caller's ctx has ended.
const leaseRelease = 10 * time.Second

// leaseAnswer reads both shapes of a lease: fly-go's {"status", "data": {...}} and the flat
// Lease object of the Machines API spec.
type leaseAnswer struct {
	Data *leaseData `json:"data"`
	leaseData
}

type leaseData struct {
	Nonce       string `json:"nonce"`
	Owner       string `json:"owner"`
	Description string `json:"description"`
	ExpiresAt   int64  `json:"expires_at"`
}

func (a *leaseAnswer) lease() leaseData {
	if a.Data != nil {
		return *a.Data
	}
	return a.leaseData
}

// withLease runs fn under the machine's lease: acquire (a lease held by someone else is
// retried with backoff, then ECONFLICT), pass the nonce, release (always, even if ctx ended).
func (c *Client) withLease(ctx context.Context, app, id, op string, fn func(ctx context.Context, nonce string) error) error {
	nonce, err := c.acquireLease(ctx, app, id, op)
	if err != nil {
		return err
	}
	defer c.releaseLease(ctx, app, id, nonce, op)
	return fn(ctx, nonce)
}

// acquireLease takes the machine's lease and returns its nonce.
//
// This request does not go through flaps.AcquireLease: in fly-go v0.3.1 that method retries
// every error (404 and 401 included) for up to a minute, because its operation never returns
// backoff.Permanent on failure. It is built with flaps.NewRequest (same URL scheme, same
// token header) and sent through the same transport. Each acquisition carries a random
// description, so that after an ambiguous failure the client can tell its own lease (and
// nonce) from someone else's.
func (c *Client) acquireLease(ctx context.Context, app, id, op string) (string, error) {
	op += ": acquiring the machine's lease"
	mark := make([]byte, 8)
	if _, err := rand.Read(mark); err != nil {
		return "", launchpad.Errorf(launchpad.EINTERNAL, "%s: no randomness for a lease description", op)
	}
	description := "launchpad " + hex.EncodeToString(mark)
	path := fmt.Sprintf("/apps/%s/machines/%s/lease", url.PathEscape(app), url.PathEscape(id))
	var nonce string
	err := c.call(ctx, op, callOptions{
		retryConflict: true,
		afterAmbiguous: func(ctx context.Context) (bool, error) {
			var held leaseAnswer
			err := c.get(ctx, op, func(ctx context.Context) error {
				return c.send(ctx, http.MethodGet, path, nil, nil, &held)
			})
			if launchpad.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if l := held.lease(); l.Description == description && l.Nonce != "" {
				nonce = l.Nonce
				return true, nil
			}
			return false, nil
		},
	}, func(ctx context.Context) error {
		var got leaseAnswer
		body := map[string]any{"ttl": leaseTTL, "description": description}
		if err := c.send(ctx, http.MethodPost, fmt.Sprintf("%s?ttl=%d", path, leaseTTL), body, nil, &got); err != nil {
			return err
		}
		nonce = got.lease().Nonce
		if nonce == "" {
			return errors.New("the lease answer has no nonce")
		}
		return nil
	})
	if launchpad.IsConflict(err) {
		var e *launchpad.Error
		errors.As(err, &e)
		return "", &launchpad.Error{Code: launchpad.ECONFLICT, Message: e.Message + "; another operation holds the machine's lease, try again when it is done"}
	}
	return nonce, err
}

// releaseLease gives the lease back. Failures are only logged: the lease expires by itself
// after leaseTTL seconds.
func (c *Client) releaseLease(ctx context.Context, app, id, nonce, op string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaseRelease)
	defer cancel()
	err := c.get(ctx, op+": releasing the machine's lease", func(ctx context.Context) error {
		return c.flaps.ReleaseLease(ctx, app, id, nonce)
	})
	if err != nil && !launchpad.IsNotFound(err) {
		c.log.Warn("fly: could not release a machine lease; it expires by itself", "app", app, "machine", id, "ttl_seconds", leaseTTL, "error", launchpad.ErrorMessage(err))
	}
}

// send makes one request that flaps has no suitable method for, built by flaps.NewRequest
// (base URL, /v1 prefix, token header) and sent through this client's transport chain.
func (c *Client) send(ctx context.Context, method, path string, in any, headers map[string][]string, out any) error {
	req, err := c.flaps.NewRequest(ctx, method, path, in, headers)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
