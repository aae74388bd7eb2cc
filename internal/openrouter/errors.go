package openrouter

import (
	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// words name OpenRouter and its management key in the client's errors.
var words = retry.Words{
	API:        "OpenRouter",
	Credential: "the management key",
	Limited:    "this management key",
	Check:      "check that OPENROUTER_MANAGEMENT_KEY (or the provider's openrouter.management_key) is a valid management key",
}

// failed builds the error a caller sees after the last attempt. The code is retry's table as
// it is: OpenRouter gives no status a meaning of its own.
func (c *Client) failed(op string, f retry.Failure, attempts int) error {
	e := words.GaveUp(op, f.Code(), f, attempts, c.timeout)
	e.Message = c.redact.String(e.Message)
	return e
}
