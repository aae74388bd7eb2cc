package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// secretNamePattern: app secrets become environment variables, so their names are
// environment variable names.
var secretNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// SecretDigest is the digest the simulator reports for a secret value: the first 16 hex
// digits of its SHA-256. The simulator never stores a value, only this digest, so a test
// that knows the value it delivered compares digests.
func SecretDigest(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])[:16]
}

// secretJSON is an app secret as flaps decodes it: never a value.
type secretJSON struct {
	Name      string `json:"name"`
	Digest    string `json:"digest"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func (s *flySecret) json() secretJSON {
	return secretJSON{Name: s.Name, Digest: s.Digest, CreatedAt: rfc3339(s.CreatedAt), UpdatedAt: rfc3339(s.UpdatedAt)}
}

// refuseShowSecrets answers show_secrets=true: the simulator never returns values.
func refuseShowSecrets(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Query().Get("show_secrets") == "true" {
		writeFlyError(w, http.StatusForbidden, "show_secrets is not permitted: the simulator never returns secret values (compare digests instead)")
		return true
	}
	return false
}

// listSecrets: GET /v1/apps/{app}/secrets → {"secrets": [{name, digest, …}]}, by name.
func (f *Fly) listSecrets(w http.ResponseWriter, r *http.Request) {
	if refuseShowSecrets(w, r) {
		return
	}
	f.withApp(w, r, func(a *flyApp) {
		writeJSON(w, http.StatusOK, map[string]any{"secrets": secretList(a)})
	})
}

func secretList(a *flyApp) []secretJSON {
	names := slices.Sorted(maps.Keys(a.Secrets))
	out := make([]secretJSON, 0, len(names))
	for _, n := range names {
		out = append(out, a.Secrets[n].json())
	}
	return out
}

// getSecret: GET /v1/apps/{app}/secrets/{name} → {name, digest, …} or 404.
func (f *Fly) getSecret(w http.ResponseWriter, r *http.Request) {
	if refuseShowSecrets(w, r) {
		return
	}
	f.withApp(w, r, func(a *flyApp) {
		s, ok := a.Secrets[r.PathValue("name")]
		if !ok {
			writeFlyError(w, http.StatusNotFound, "secret not found")
			return
		}
		writeJSON(w, http.StatusOK, s.json())
	})
}

// setSecret: POST /v1/apps/{app}/secrets/{name} {"value"} → {name, digest, …, version}.
func (f *Fly) setSecret(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Value *string `json:"value"`
	}
	if !decodeOr(w, r, &req, false, writeFlyError) {
		return
	}
	name := r.PathValue("name")
	if err := checkSecretName(name); err != nil {
		writeFlyErr(w, err)
		return
	}
	if req.Value == nil {
		writeFlyError(w, http.StatusBadRequest, "value is required: POST {\"value\": \"…\"}")
		return
	}
	f.withApp(w, r, func(a *flyApp) {
		s := f.putSecretLocked(a, name, *req.Value)
		f.newSecretsVersionLocked(a)
		writeJSON(w, http.StatusOK, struct {
			secretJSON
			Version uint64 `json:"version"`
		}{s.json(), a.SecretsVersion})
	})
}

// updateSecrets: POST /v1/apps/{app}/secrets {"values": {name: value or null}} — null
// deletes — → {"secrets": […], "version"}.
func (f *Fly) updateSecrets(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Values map[string]*string `json:"values"`
	}
	if !decodeOr(w, r, &req, false, writeFlyError) {
		return
	}
	for name := range req.Values {
		if err := checkSecretName(name); err != nil {
			writeFlyErr(w, err)
			return
		}
	}
	f.withApp(w, r, func(a *flyApp) {
		for name, v := range req.Values {
			if v == nil {
				delete(a.Secrets, name)
			} else {
				f.putSecretLocked(a, name, *v)
			}
		}
		f.newSecretsVersionLocked(a)
		writeJSON(w, http.StatusOK, map[string]any{"secrets": secretList(a), "version": a.SecretsVersion})
	})
}

// deleteSecret: DELETE /v1/apps/{app}/secrets/{name} → {"version"}; 404 if there is none.
func (f *Fly) deleteSecret(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *flyApp) {
		name := r.PathValue("name")
		if _, ok := a.Secrets[name]; !ok {
			writeFlyError(w, http.StatusNotFound, "secret not found")
			return
		}
		delete(a.Secrets, name)
		f.newSecretsVersionLocked(a)
		writeJSON(w, http.StatusOK, map[string]any{"version": a.SecretsVersion})
	})
}

// putSecretLocked records a secret's digest; the value itself is dropped here.
func (f *Fly) putSecretLocked(a *flyApp, name, value string) *flySecret {
	now := f.clock.Now().UTC()
	s, ok := a.Secrets[name]
	if !ok {
		s = &flySecret{Name: name, CreatedAt: now}
		a.Secrets[name] = s
	}
	s.Digest = SecretDigest(value)
	s.UpdatedAt = now
	return s
}

func checkSecretName(name string) error {
	if !secretNamePattern.MatchString(name) {
		return flyErrorf(http.StatusBadRequest, "invalid secret name %q: use letters, digits and underscores, not starting with a digit", name)
	}
	return nil
}

// Fly app secrets are versioned: every change makes a new version, and a machine sees the
// version it was given when it was last created or updated — "existing Machines must be
// updated to pick up secrets". A new version takes Transitions.SecretsPropagation to reach
// the hosts: a create or update without min_secrets_version gets the newest version that has
// propagated (so perhaps the one before a change just made), one with min_secrets_version
// waits for that version and gets it (fly-go's LaunchMachineInput.MinSecretsVersion).

// newSecretsVersionLocked records the app's current secrets as its next version.
func (f *Fly) newSecretsVersionLocked(a *flyApp) {
	a.SecretsVersion++
	digests := make(map[string]string, len(a.Secrets))
	for n, s := range a.Secrets {
		digests[n] = s.Digest
	}
	a.SecretVersions = append(a.SecretVersions, &flySecretsVersion{Version: a.SecretsVersion, Digests: digests, At: f.clock.Now().UTC()})
	if n := len(a.SecretVersions); n > keptSecretVersions {
		a.SecretVersions = slices.Clone(a.SecretVersions[n-keptSecretVersions:])
	}
}

// secretsVersionLocked returns version v of the app's secrets and when it has propagated; a
// version older than those kept counts as propagated long ago. A version the app does not
// have yet is a 400.
func (f *Fly) secretsVersionLocked(a *flyApp, v uint64) (*flySecretsVersion, time.Time, error) {
	if v > a.SecretsVersion {
		return nil, time.Time{}, flyErrorf(http.StatusBadRequest, "invalid_argument: min_secrets_version %d is newer than the app's secrets (version %d)", v, a.SecretsVersion)
	}
	for _, sv := range a.SecretVersions {
		if sv.Version == v {
			return sv, sv.At.Add(f.tr.SecretsPropagation), nil
		}
	}
	return nil, time.Time{}, nil
}

// awaitSecrets makes a create or update with min_secrets_version wait (on the Clock) until
// that version has propagated.
func (f *Fly) awaitSecrets(r *http.Request, min *uint64) error {
	if min == nil {
		return nil
	}
	f.mu.Lock()
	a, err := f.app(r.PathValue("app"))
	var ready time.Time
	if err == nil {
		_, ready, err = f.secretsVersionLocked(a, *min)
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if !f.waitClock(r.Context(), ready) {
		return flyErrorf(http.StatusRequestTimeout, "deadline_exceeded: secrets version %d did not propagate before the request ended", *min)
	}
	return nil
}

// giveSecretsLocked sets the secrets a machine created or updated now runs with: none with
// skip_secrets, else the newest propagated version, and at least min when given.
func (f *Fly) giveSecretsLocked(a *flyApp, m *flyMachine, now time.Time, min *uint64, skip bool) error {
	if skip {
		m.SecretsVersion, m.Secrets = 0, nil
		return nil
	}
	var chosen *flySecretsVersion
	for _, sv := range a.SecretVersions {
		if !now.Before(sv.At.Add(f.tr.SecretsPropagation)) {
			chosen = sv
		}
	}
	if min != nil {
		sv, _, err := f.secretsVersionLocked(a, *min)
		if err != nil {
			return err
		}
		if sv != nil && (chosen == nil || chosen.Version < sv.Version) {
			chosen = sv
		}
	}
	switch {
	case chosen != nil:
		m.SecretsVersion, m.Secrets = chosen.Version, maps.Clone(chosen.Digests)
	case len(a.SecretVersions) == 0 && a.SecretsVersion > 0: // a state file from before versions were kept
		m.SecretsVersion, m.Secrets = a.SecretsVersion, map[string]string{}
		for n, s := range a.Secrets {
			m.Secrets[n] = s.Digest
		}
	default:
		m.SecretsVersion, m.Secrets = 0, nil
	}
	return nil
}
