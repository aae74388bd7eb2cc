package openrouter

import (
	"fmt"
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// failed builds the error a caller sees after the last attempt. The code is retry's table as
// it is: OpenRouter gives no status a meaning of its own.
func (c *Client) failed(op string, f retry.Failure, attempts int) error {
	says := ""
	if f.Message != "" {
		says = ": " + f.Message
	}
	tries := "after 1 attempt"
	if attempts > 1 {
		tries = fmt.Sprintf("after %d attempts", attempts)
	}
	var e *launchpad.Error
	switch code := f.Code(); code {
	case launchpad.ENOTFOUND:
		e = launchpad.Errorf(code, "%s: not found (OpenRouter answered 404%s)", op, says)
	case launchpad.EUNAUTHORIZED:
		e = launchpad.Errorf(code, "%s: OpenRouter refused the management key (%d%s); check that OPENROUTER_MANAGEMENT_KEY (or the provider's openrouter.management_key) is a valid management key", op, f.Status, says)
	case launchpad.ECONFLICT:
		e = launchpad.Errorf(code, "%s: conflict (OpenRouter answered 409%s)", op, says)
	case launchpad.EINVALID:
		e = launchpad.Errorf(code, "%s: OpenRouter refused the request (%d %s%s)", op, f.Status, http.StatusText(f.Status), says)
	case launchpad.ERATELIMITED:
		e = launchpad.Errorf(code, "%s: OpenRouter is rate limiting this management key (429 Too Many Requests %s); try again later", op, tries)
		e.RetryAfter = f.RetryAfter
	default:
		switch {
		case f.Status != 0:
			e = launchpad.Errorf(code, "%s: OpenRouter answered %d %s %s%s; it may be having trouble, try again later", op, f.Status, http.StatusText(f.Status), tries, says)
		case f.Timeout:
			e = launchpad.Errorf(code, "%s: OpenRouter did not answer in time %s (each request waits up to %s)", op, tries, c.timeout)
		case f.Unreadable:
			e = launchpad.Errorf(code, "%s: OpenRouter's answer could not be read %s (%s)", op, tries, f.Detail)
		default:
			e = launchpad.Errorf(code, "%s: could not reach OpenRouter %s (%s)", op, tries, f.Detail)
		}
		e.RetryAfter = f.RetryAfter
	}
	e.Message = c.redact.String(e.Message)
	return e
}
