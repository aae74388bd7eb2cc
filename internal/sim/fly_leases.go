package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// leaseNonceHeader carries the lease nonce on mutating requests, as fly-go sends it.
const leaseNonceHeader = "fly-machine-lease-nonce"

// leaseOwner is who holds leases taken through the simulator's one token.
const leaseOwner = "simulator@tokens.fly.io"

// defaultLeaseTTL applies when the client gives none.
const defaultLeaseTTL = 30 * time.Second

// leaseJSON is the envelope flaps decodes ({"status","data"}), not the spec's flat Lease.
type leaseJSON struct {
	Status string        `json:"status"`
	Data   leaseDataJSON `json:"data"`
}

type leaseDataJSON struct {
	Nonce       string `json:"nonce"`
	ExpiresAt   int64  `json:"expires_at"`
	Owner       string `json:"owner"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version"`
}

func (l *flyLease) json() leaseJSON {
	return leaseJSON{Status: "success", Data: leaseDataJSON{Nonce: l.Nonce, ExpiresAt: l.ExpiresAt.Unix(), Owner: l.Owner, Description: l.Description, Version: l.Version}}
}

// activeLeaseLocked returns the machine's unexpired lease, dropping an expired one.
func (f *Fly) activeLeaseLocked(m *flyMachine) *flyLease {
	if m.Lease != nil && !f.clock.Now().Before(m.Lease.ExpiresAt) {
		m.Lease = nil
	}
	return m.Lease
}

func (f *Fly) newLeaseLocked(m *flyMachine, ttl time.Duration, description string, now time.Time) *flyLease {
	return &flyLease{Nonce: randomHex(16), Owner: leaseOwner, Description: description, ExpiresAt: now.Add(ttl).UTC(), Version: m.InstanceID}
}

// checkLeaseLocked refuses a mutation of a leased machine that does not carry the lease's
// nonce: 409 "aborted: machine ID … lease currently held by …", Fly's answer.
func (f *Fly) checkLeaseLocked(m *flyMachine, r *http.Request) error {
	l := f.activeLeaseLocked(m)
	if l == nil || r.Header.Get(leaseNonceHeader) == l.Nonce {
		return nil
	}
	return flyErrorf(http.StatusConflict, "aborted: machine ID %s lease currently held by %s, expires at %s", m.ID, l.Owner, l.ExpiresAt.Format(time.RFC3339))
}

// getLease: GET …/lease → the lease envelope, or 404 "lease not found".
func (f *Fly) getLease(w http.ResponseWriter, r *http.Request) {
	f.withLease(w, r, func(_ *flyMachine, l *flyLease) {
		writeJSON(w, http.StatusOK, l.json())
	})
}

// withLease runs fn, under the lock, on the addressed machine and its active lease; with no
// lease held it answers 404 "lease not found".
func (f *Fly) withLease(w http.ResponseWriter, r *http.Request, fn func(m *flyMachine, l *flyLease)) {
	f.withMachine(w, r, false, func(_ *flyApp, m *flyMachine) {
		l := f.activeLeaseLocked(m)
		if l == nil {
			writeFlyError(w, http.StatusNotFound, "lease not found")
			return
		}
		fn(m, l)
	})
}

// acquireLease: POST …/lease[?ttl=seconds] [{"ttl","description"}]. With no lease held it
// grants a new one; with the current nonce in fly-machine-lease-nonce it refreshes it;
// otherwise 409 "machine ID … lease currently held by …, expires at …".
func (f *Fly) acquireLease(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TTL         int    `json:"ttl"`
		Description string `json:"description"`
	}
	if !decodeOr(w, r, &req, true, writeFlyError) {
		return
	}
	ttl := defaultLeaseTTL
	if req.TTL > 0 {
		ttl = time.Duration(req.TTL) * time.Second
	}
	if s := r.URL.Query().Get("ttl"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			writeFlyError(w, http.StatusBadRequest, fmt.Sprintf("invalid_argument: ttl %q: give a positive number of seconds", s))
			return
		}
		ttl = time.Duration(n) * time.Second
	}
	f.withMachine(w, r, false, func(_ *flyApp, m *flyMachine) {
		now := f.clock.Now()
		l := f.activeLeaseLocked(m)
		switch {
		case l == nil:
			m.Lease = f.newLeaseLocked(m, ttl, req.Description, now)
		case r.Header.Get(leaseNonceHeader) == l.Nonce:
			l.ExpiresAt = now.Add(ttl).UTC()
		default:
			writeFlyError(w, http.StatusConflict, fmt.Sprintf("machine ID %s lease currently held by %s, expires at %s", m.ID, l.Owner, l.ExpiresAt.Format(time.RFC3339)))
			return
		}
		writeJSON(w, http.StatusOK, m.Lease.json())
	})
}

// releaseLease: DELETE …/lease with the nonce → 200; wrong nonce 409; no lease 404.
func (f *Fly) releaseLease(w http.ResponseWriter, r *http.Request) {
	f.withLease(w, r, func(m *flyMachine, l *flyLease) {
		if r.Header.Get(leaseNonceHeader) != l.Nonce {
			writeFlyError(w, http.StatusConflict, fmt.Sprintf("machine ID %s lease currently held by %s: release it with its nonce in the %s header", m.ID, l.Owner, leaseNonceHeader))
			return
		}
		m.Lease = nil
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}
