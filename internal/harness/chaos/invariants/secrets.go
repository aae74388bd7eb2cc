package invariants

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Secret is a value that must never be seen outside the store's sealed fields and the
// process that uses it. What names it ("sub-key of user X", "the platform secret") for
// failure lines, which never show Value.
type Secret struct {
	What, Value string
}

// minSecretLen is the shortest value worth looking for: shorter ones would be found by
// chance.
const minSecretLen = 12

// SealedStore is what SealedSecrets reads: the users and their key material.
type SealedStore interface {
	launchpad.UserStore
	launchpad.UserKeyStore
}

// SealedSecrets opens every sealed credential of every user — sub-keys, BYOK keys, TOTP
// secrets — with the keyring (the platform secret) and each user's key material. A credential
// that does not open is an error: it would be a secret this check cannot look for.
func SealedSecrets(ctx context.Context, users SealedStore, keyring *envelope.Keyring) ([]Secret, error) {
	sealer := envelope.NewSealer(keyring, users)
	var out []Secret
	after := ""
	for {
		page, err := users.ListUsers(ctx, after, 500)
		if err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		for _, u := range page {
			for _, f := range []struct{ what, sealed string }{
				{"sub-key", u.OpenRouterKey}, {"BYOK key", u.BYOKKey}, {"TOTP secret", u.MFA.SealedSecret},
			} {
				if f.sealed == "" {
					continue
				}
				p, err := sealer.Open(ctx, f.sealed, u.ID)
				if err != nil {
					return nil, fmt.Errorf("opening the %s of user %s: %w", f.what, u.ID, err)
				}
				out = append(out, Secret{What: f.what + " of user " + u.ID, Value: string(p)})
			}
		}
		if len(page) < 500 {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// Haystack is somewhere a secret must not be: a state, a log, an audit stream, an answer.
type Haystack struct {
	What string
	Data []byte
}

// StateHaystacks are the Terraform states the store keeps for these workspaces (the control
// plane's workspace of a tenant is its user id); a workspace without one is skipped.
func StateHaystacks(ctx context.Context, st launchpad.StateStore, workspaces []string) ([]Haystack, error) {
	var out []Haystack
	for _, w := range workspaces {
		b, err := st.GetState(ctx, w)
		if launchpad.IsNotFound(err) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("reading the state of %s: %w", w, err)
		}
		out = append(out, Haystack{What: "Terraform state of " + w + " (store)", Data: b.Data})
	}
	return out, nil
}

// AuditHaystacks are every audit stream, each as the JSON of its events.
func AuditHaystacks(ctx context.Context, st launchpad.AuditStore) ([]Haystack, error) {
	streams := map[string][]*launchpad.AuditEvent{}
	seen := map[string]bool{}
	f := launchpad.AuditFilter{Limit: 1000}
	for {
		page, err := st.ListAudit(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("listing audit events: %w", err)
		}
		fresh := 0
		for _, e := range page {
			if seen[e.ID] {
				continue
			}
			seen[e.ID], fresh = true, fresh+1
			streams[e.Stream] = append(streams[e.Stream], e)
		}
		if len(page) < f.Limit || fresh == 0 {
			break
		}
		f.Since = page[len(page)-1].Time // inclusive: the boundary's events come again, and are skipped
	}
	names := make([]string, 0, len(streams))
	for s := range streams {
		names = append(names, s)
	}
	sort.Strings(names)
	out := make([]Haystack, 0, len(names))
	for _, s := range names {
		b, err := json.Marshal(streams[s])
		if err != nil {
			return nil, err
		}
		out = append(out, Haystack{What: "audit stream " + s, Data: b})
	}
	return out, nil
}

// JobHaystacks are the logs and errors of every job of each key (an apply job's key is its
// user id; a Stripe event's is "stripe:" and the customer).
func JobHaystacks(ctx context.Context, st launchpad.JobStore, keys []string) ([]Haystack, error) {
	var out []Haystack
	for _, k := range keys {
		jobs, err := st.ListJobs(ctx, launchpad.JobFilter{Key: k, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("listing the jobs of %s: %w", k, err)
		}
		for _, j := range jobs {
			log, err := st.ReadJobLog(ctx, j.ID, 0)
			if err != nil && !launchpad.IsNotFound(err) {
				return nil, fmt.Errorf("reading the log of job %s: %w", j.ID, err)
			}
			data := append(log, '\n')
			data = append(data, j.Error...)
			data = append(data, '\n')
			data = append(data, j.Payload...)
			out = append(out, Haystack{What: fmt.Sprintf("%s job %s of %s (log, error, payload)", j.Kind, j.ID, k), Data: data})
		}
	}
	return out, nil
}

// FileHaystacks are files as they are on disk (process logs); a missing file is an error.
func FileHaystacks(paths ...string) ([]Haystack, error) {
	out := make([]Haystack, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, Haystack{What: "file " + p, Data: b})
	}
	return out, nil
}

// NoSecrets checks that no secret appears in any haystack. The subjects are the haystacks;
// a failure names the haystack and the secret, never the secret's value. Secrets shorter
// than 12 bytes are not looked for (they would be found by chance), and count as a failure:
// a check that cannot look proves nothing.
func NoSecrets(secrets []Secret, hay []Haystack) Result {
	r := Result{Name: "no secret in state, logs, audit or answers"}
	var usable []Secret
	for _, s := range secrets {
		if len(s.Value) < minSecretLen {
			r.Fail("%s is %d bytes: too short to look for", s.What, len(s.Value))
			continue
		}
		usable = append(usable, s)
	}
	if len(usable) == 0 {
		r.Fail("no secret to look for")
		return r
	}
	for _, h := range hay {
		var found []string
		for _, s := range usable {
			if bytes.Contains(h.Data, []byte(s.Value)) {
				found = append(found, s.What)
			}
		}
		if len(found) > 0 {
			r.Fail("%s holds %v", h.What, found)
		} else {
			r.Pass()
		}
	}
	return r
}
