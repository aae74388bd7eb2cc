package openrouter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/retry"
)

// maxBody bounds how much of an answer is read.
const maxBody = 4 << 20

// send makes one request to the API: path is under the base URL ("/keys"), in is sent as
// JSON, a 2xx answer is decoded into out. A non-2xx answer is a *retry.StatusError; no
// answer is a *retry.TransportError; a 2xx that cannot be read is any other error (the
// request was applied).
func (c *Client) send(ctx context.Context, method, path string, query url.Values, in, out any) error {
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding the request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.Debug("openrouter request failed", "method", method, "path", path, "error", c.redact.String(err.Error()), "elapsed", time.Since(start))
		return retry.NewTransportError(err)
	}
	defer resp.Body.Close()
	c.log.Debug("openrouter request", "method", method, "path", path, "status", resp.StatusCode, "elapsed", time.Since(start))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return retry.NewStatusError("OpenRouter", resp, c.now(), func(body []byte) string {
			return c.redact.String(apiMessage(body))
		})
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		return fmt.Errorf("reading OpenRouter's answer: %w", err)
	}
	return nil
}

// apiMessage extracts the human part of an error body: {"error": {"message": "..."}} as the
// spec has it, or {"error": "..."}; anything else is dropped (a body may echo a key).
func apiMessage(body []byte) string {
	msg, _ := retry.JSONMessage(body)
	return msg
}
