package openrouter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds how much of an answer is read.
const maxBody = 4 << 20

// send makes one request to the API: path is under the base URL ("/keys"), in is sent as
// JSON, a 2xx answer is decoded into out. A non-2xx answer is a *statusError; no answer is a
// *transportError; a 2xx that cannot be read is any other error (the request was applied).
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
		return &transportError{err: err, dial: isDialError(err)}
	}
	defer resp.Body.Close()
	c.log.Debug("openrouter request", "method", method, "path", path, "status", resp.StatusCode, "elapsed", time.Since(start))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return &statusError{
			Status:     resp.StatusCode,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
			Message:    c.redact.String(apiMessage(raw)),
		}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		return fmt.Errorf("reading OpenRouter's answer: %w", err)
	}
	return nil
}

// statusError is a non-2xx answer. Message is the API's own error text (redacted), never the
// raw body.
type statusError struct {
	Status     int
	RetryAfter time.Duration
	Message    string
}

func (e *statusError) Error() string {
	return "OpenRouter answered " + strconv.Itoa(e.Status) + ": " + e.Message
}

// transportError is a request that got no answer. dial is true when the connection was
// never made, so the request cannot have reached OpenRouter.
type transportError struct {
	err  error
	dial bool
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// apiMessage extracts the human part of an error body: {"error": {"message": "..."}} as the
// spec has it, or {"error": "..."}; anything else is dropped (a body may echo a key).
func apiMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var nested struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(v.Error, &nested) == nil && nested.Message != "" {
		return clip(nested.Message)
	}
	var s string
	if json.Unmarshal(v.Error, &s) == nil && s != "" {
		return clip(s)
	}
	return clip(v.Message)
}

// clip bounds an API message so a hostile or broken server cannot flood an error.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
