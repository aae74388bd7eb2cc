package fly

import (
	"net/http"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// code maps a failure to the domain's error codes: retry's table, but for two answers that
// mean a conflict at Fly (and nothing in particular at OpenRouter, so they are not in it):
// 412, a lease nonce, a machine state or a volume attachment that does not allow the change,
// and a 422 about a name already taken ("Validation failed: Name has already been taken", or
// "uniqueness constraint violated" for a name another organization holds).
func code(f retry.Failure) string {
	switch {
	case f.Status == http.StatusPreconditionFailed:
		return launchpad.ECONFLICT
	case f.Status == http.StatusUnprocessableEntity && mentionsTaken(f.Message):
		return launchpad.ECONFLICT
	}
	return f.Code()
}

// mentionsTaken reports whether a 422 message is about a name already in use.
func mentionsTaken(msg string) bool {
	m := strings.ToLower(msg)
	for _, word := range []string{"taken", "already", "exists", "unique"} {
		if strings.Contains(m, word) {
			return true
		}
	}
	return false
}

// takenElsewhere is the error of a read of an app that Fly answers 403: the app exists, in an
// organization the token cannot access (flaps' AppNameAvailable reads the answer so). App
// names are global at Fly, so for Launchpad the name is taken.
func takenElsewhere(op string, f retry.Failure) error {
	says := ""
	if f.Message != "" {
		says = ": " + f.Message
	}
	return launchpad.Errorf(launchpad.ECONFLICT, "%s: the name is taken by an app of an organization this token cannot access "+
		"(Fly answered %d%s); app names are global at Fly, so choose another", op, f.Status, says)
}

// words name Fly and its API token in the client's errors.
var words = retry.Words{
	API:        "Fly",
	Credential: "the API token",
	Limited:    "this token",
	Check:      "check that FLY_API_TOKEN (or the provider's fly.api_token) is valid and has access to this organization and app",
}

// failed builds the error a caller sees after the last attempt: retry's sentences, with
// Fly's own reading of a status (code). note, if set, is appended; secrets are redacted.
func (c *Client) failed(op string, f retry.Failure, attempts int, note string, secrets []string) error {
	e := words.GaveUp(op, code(f), f, attempts, c.timeout)
	if note != "" {
		e.Message += "; " + note
	}
	e.Message = c.redact.With(secrets...).String(e.Message)
	return e
}
