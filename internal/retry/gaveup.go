package retry

import (
	"fmt"
	"net/http"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Words are how one client's final errors name its API and its credential, so every client
// on this loop tells a user the same things in the same sentences.
type Words struct {
	API        string // the server: "OpenRouter"
	Credential string // what a 401 or 403 refused: "the management key"
	Limited    string // what a 429 limits: "this management key"
	Check      string // what to do about a refused credential: "check that …"
}

// GaveUp is the error a caller sees after the last attempt of op failed with f. code is
// f.Code(), or the client's own reading of a status its API gives a meaning of its own.
// timeout is the client's limit on one request, named when an attempt ran out of it. A rate
// limit and a server in trouble carry f's Retry-After. The caller redacts the message.
func (w Words) GaveUp(op, code string, f Failure, attempts int, timeout time.Duration) *launchpad.Error {
	says := ""
	if f.Message != "" {
		says = ": " + f.Message
	}
	tries := "after 1 attempt"
	if attempts > 1 {
		tries = fmt.Sprintf("after %d attempts", attempts)
	}
	var e *launchpad.Error
	switch code {
	case launchpad.ENOTFOUND:
		e = launchpad.Errorf(code, "%s: not found (%s answered 404%s)", op, w.API, says)
	case launchpad.EUNAUTHORIZED:
		e = launchpad.Errorf(code, "%s: %s refused %s (%d%s); %s", op, w.API, w.Credential, f.Status, says, w.Check)
	case launchpad.ECONFLICT:
		e = launchpad.Errorf(code, "%s: conflict (%s answered %d%s)", op, w.API, f.Status, says)
	case launchpad.EINVALID:
		e = launchpad.Errorf(code, "%s: %s refused the request (%d %s%s)", op, w.API, f.Status, http.StatusText(f.Status), says)
	case launchpad.ERATELIMITED:
		e = launchpad.Errorf(code, "%s: %s is rate limiting %s (429 Too Many Requests %s); try again later", op, w.API, w.Limited, tries)
		e.RetryAfter = f.RetryAfter
	default:
		switch {
		case f.Status != 0:
			e = launchpad.Errorf(code, "%s: %s answered %d %s %s%s; it may be having trouble, try again later", op, w.API, f.Status, http.StatusText(f.Status), tries, says)
		case f.Timeout:
			e = launchpad.Errorf(code, "%s: %s did not answer in time %s (each request waits up to %s)", op, w.API, tries, timeout)
		case f.Unreadable:
			e = launchpad.Errorf(code, "%s: %s's answer could not be read %s (%s)", op, w.API, tries, f.Detail)
		default:
			e = launchpad.Errorf(code, "%s: could not reach %s %s (%s)", op, w.API, tries, f.Detail)
		}
		e.RetryAfter = f.RetryAfter
	}
	return e
}
