package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"regexp"
	"slices"
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
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		writeFlyErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"secrets": secretList(a)})
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
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		writeFlyErr(w, err)
		return
	}
	s, ok := a.Secrets[r.PathValue("name")]
	if !ok {
		writeFlyError(w, http.StatusNotFound, "secret not found")
		return
	}
	writeJSON(w, http.StatusOK, s.json())
}

// setSecret: POST /v1/apps/{app}/secrets/{name} {"value"} → {name, digest, …, version}.
func (f *Fly) setSecret(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Value *string `json:"value"`
	}
	if err := decodeBody(r, &req, false); err != nil {
		writeFlyError(w, http.StatusBadRequest, err.Error())
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
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		writeFlyErr(w, err)
		return
	}
	s := f.putSecretLocked(a, name, *req.Value)
	a.SecretsVersion++
	writeJSON(w, http.StatusOK, struct {
		secretJSON
		Version uint64 `json:"version"`
	}{s.json(), a.SecretsVersion})
}

// updateSecrets: POST /v1/apps/{app}/secrets {"values": {name: value or null}} — null
// deletes — → {"secrets": […], "version"}.
func (f *Fly) updateSecrets(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Values map[string]*string `json:"values"`
	}
	if err := decodeBody(r, &req, false); err != nil {
		writeFlyError(w, http.StatusBadRequest, err.Error())
		return
	}
	for name := range req.Values {
		if err := checkSecretName(name); err != nil {
			writeFlyErr(w, err)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		writeFlyErr(w, err)
		return
	}
	for name, v := range req.Values {
		if v == nil {
			delete(a.Secrets, name)
		} else {
			f.putSecretLocked(a, name, *v)
		}
	}
	a.SecretsVersion++
	writeJSON(w, http.StatusOK, map[string]any{"secrets": secretList(a), "version": a.SecretsVersion})
}

// deleteSecret: DELETE /v1/apps/{app}/secrets/{name} → {"version"}; 404 if there is none.
func (f *Fly) deleteSecret(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		writeFlyErr(w, err)
		return
	}
	name := r.PathValue("name")
	if _, ok := a.Secrets[name]; !ok {
		writeFlyError(w, http.StatusNotFound, "secret not found")
		return
	}
	delete(a.Secrets, name)
	a.SecretsVersion++
	writeJSON(w, http.StatusOK, map[string]any{"version": a.SecretsVersion})
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
