package fly

import (
	"fmt"
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

// failed builds the error a caller sees after the last attempt. note, if set, is appended.
func (c *Client) failed(op string, f retry.Failure, attempts int, note string, secrets []string) error {
	redact := c.redact.With(secrets...)
	says := ""
	if f.Message != "" {
		says = ": " + f.Message
	}
	tries := "after 1 attempt"
	if attempts > 1 {
		tries = fmt.Sprintf("after %d attempts", attempts)
	}
	var e *launchpad.Error
	switch code := code(f); code {
	case launchpad.ENOTFOUND:
		e = launchpad.Errorf(code, "%s: not found (Fly answered 404%s)", op, says)
	case launchpad.EUNAUTHORIZED:
		e = launchpad.Errorf(code, "%s: Fly refused the API token (%d%s); check that FLY_API_TOKEN (or the provider's fly.api_token) is valid and has access to this organization and app", op, f.Status, says)
	case launchpad.ECONFLICT:
		e = launchpad.Errorf(code, "%s: conflict (Fly answered %d%s)", op, f.Status, says)
	case launchpad.EINVALID:
		e = launchpad.Errorf(code, "%s: Fly refused the request (%d %s%s)", op, f.Status, http.StatusText(f.Status), says)
	case launchpad.ERATELIMITED:
		e = launchpad.Errorf(code, "%s: Fly is rate limiting this token (429 Too Many Requests %s); try again later", op, tries)
		e.RetryAfter = f.RetryAfter
	default:
		switch {
		case f.Status != 0:
			e = launchpad.Errorf(code, "%s: Fly answered %d %s %s%s; it may be having trouble, try again later", op, f.Status, http.StatusText(f.Status), tries, says)
		case f.Timeout:
			e = launchpad.Errorf(code, "%s: Fly did not answer in time %s (each request waits up to %s)", op, tries, c.timeout)
		case f.Unreadable:
			e = launchpad.Errorf(code, "%s: Fly's answer could not be read %s (%s)", op, tries, f.Detail)
		default:
			e = launchpad.Errorf(code, "%s: could not reach Fly %s (%s)", op, tries, f.Detail)
		}
		e.RetryAfter = f.RetryAfter
	}
	if note != "" {
		e.Message += "; " + note
	}
	e.Message = redact.String(e.Message)
	return e
}
