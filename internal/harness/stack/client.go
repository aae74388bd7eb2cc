package stack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
)

// Client is a client of the control plane's HTTP API, written against the API as documented
// rather than the server's types.
type Client struct {
	URL        string
	AdminToken string
	HC         *http.Client
}

// APIError is a non-2xx answer in the API's error envelope.
type APIError struct {
	Status  int
	Code    string
	Message string
	Header  http.Header
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Call sends a request with a JSON body (in, when not nil) and decodes a JSON answer into out
// (when not nil). header may add headers. A non-2xx answer is an *APIError.
func (c *Client) Call(ctx context.Context, method, path, token string, header map[string]string, in []byte, out any) error {
	b, err := c.Raw(ctx, method, path, token, header, in)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s answered %q: %w", method, path, Truncate(string(b), 200), err)
		}
	}
	return nil
}

// Raw is Call returning the answer's body as it came.
func (c *Client) Raw(ctx context.Context, method, path, token string, header map[string]string, in []byte) ([]byte, error) {
	h := map[string]string{}
	if in != nil {
		h["Content-Type"] = "application/json"
	}
	maps.Copy(h, header)
	res, b, err := c.Exchange(ctx, method, path, token, h, in)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		var env struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(b, &env)
		return b, &APIError{Status: res.StatusCode, Code: env.Error.Code, Message: env.Error.Message, Header: res.Header}
	}
	return b, nil
}

// Exchange sends one request, with the body in when not nil and the headers of header, and
// reads the whole answer whatever its status: res for its status and headers (its body is
// already read into b and closed). An error is a request that got no answer. Raw and Call are
// built on it; tests that check statuses and headers themselves use it directly.
func (c *Client) Exchange(ctx context.Context, method, path, token string, header map[string]string, in []byte) (res *http.Response, b []byte, err error) {
	var body io.Reader
	if in != nil {
		body = bytes.NewReader(in)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, body)
	if err != nil {
		return nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if res, err = c.HC.Do(req); err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	if b, err = io.ReadAll(res.Body); err != nil {
		return nil, nil, err
	}
	return res, b, nil
}

// Admin GETs an admin route with the admin token.
func (c *Client) Admin(ctx context.Context, path string, out any) error {
	return c.Call(ctx, http.MethodGet, path, c.AdminToken, nil, nil, out)
}

// Deliver signs a Stripe event with the endpoint's secret now, as Stripe does at each
// delivery, posts it to the webhook, and returns whether the control plane had it already.
func (c *Client) Deliver(ctx context.Context, ev billingtest.Event, secret string) (duplicate bool, err error) {
	var out struct{ Received, Duplicate bool }
	header := map[string]string{"Stripe-Signature": ev.Signature(secret, time.Now())}
	if err := c.Call(ctx, http.MethodPost, "/api/stripe/webhook", "", header, ev.Body, &out); err != nil {
		return false, fmt.Errorf("webhook %s (%s): %w", ev.ID, ev.Type, err)
	}
	if !out.Received {
		return false, fmt.Errorf("webhook %s (%s) was not received", ev.ID, ev.Type)
	}
	return out.Duplicate, nil
}

// Job is a background job as GET /api/admin/jobs shows it.
type Job struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Key      string `json:"key"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Apply    *struct {
		Plan    string `json:"plan"`
		Destroy bool   `json:"destroy"`
		Reason  string `json:"reason"`
	} `json:"apply"`
	DurationMS *int64 `json:"duration_ms"`
	Error      string `json:"error"`
	Summary    struct {
		Add     int `json:"add"`
		Change  int `json:"change"`
		Destroy int `json:"destroy"`
	} `json:"summary"`
}

// What says what an apply job does: "destroy" or "plan NAME".
func (j Job) What() string {
	switch {
	case j.Apply == nil:
		return "?"
	case j.Apply.Destroy:
		return "destroy"
	default:
		return "plan " + j.Apply.Plan
	}
}

// Applies lists the user's apply jobs, newest first.
func (c *Client) Applies(ctx context.Context, userID string) ([]Job, error) {
	var out struct {
		Jobs []Job `json:"jobs"`
	}
	err := c.Admin(ctx, "/api/admin/jobs?kind=apply&user_id="+url.QueryEscape(userID), &out)
	return out.Jobs, err
}

// Me is what GET /api/me says about the signed-in user.
type Me struct {
	User struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Plan  string `json:"plan"`
	} `json:"user"`
	Subscription struct {
		Status string `json:"status"`
		Plan   string `json:"plan"`
	} `json:"subscription"`
	Tenants []struct {
		AppName string `json:"app_name"`
		Plan    string `json:"plan"`
		IPv4    string `json:"ipv4"`
	} `json:"tenants"`
	Apply *struct {
		Status  string `json:"status"`
		Plan    string `json:"plan"`
		Destroy bool   `json:"destroy"`
	} `json:"apply"`
}

// Follow reads the event stream of a job's log (GET /api/admin/jobs/{id}/log) until the job
// is over, calls line for each log line, and returns the job as the stream's end event has it.
func (c *Client) Follow(ctx context.Context, id string, line func(string)) (Job, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+"/api/admin/jobs/"+id+"/log", nil)
	if err != nil {
		return Job{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	req.Header.Set("Accept", "text/event-stream")
	stream := &http.Client{} // no timeout: the stream lasts as long as the apply
	res, err := stream.Do(req)
	if err != nil {
		return Job{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return Job{}, fmt.Errorf("the log stream of job %s answered %d", id, res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var name string
	var data []string
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "event: "):
			name = strings.TrimPrefix(l, "event: ")
		case strings.HasPrefix(l, "data: "):
			data = append(data, strings.TrimPrefix(l, "data: "))
		case l == "":
			switch name {
			case "log":
				for _, d := range data {
					line(d)
				}
			case "end":
				var j Job
				if err := json.Unmarshal([]byte(strings.Join(data, "\n")), &j); err != nil {
					return Job{}, fmt.Errorf("the end event of job %s: %w", id, err)
				}
				return j, nil
			case "error":
				return Job{}, fmt.Errorf("the log stream of job %s failed: %s", id, strings.Join(data, " "))
			}
			name, data = "", nil
		}
	}
	if err := sc.Err(); err != nil {
		return Job{}, err
	}
	return Job{}, fmt.Errorf("the log stream of job %s ended before the job did", id)
}

// WaitReady polls /readyz until the control plane says its store answers.
func (c *Client) WaitReady(ctx context.Context) error {
	for {
		if err := c.Call(ctx, http.MethodGet, "/readyz", "", nil, nil, nil); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the control plane at %s never said it was ready: %w", c.URL, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Truncate shortens s to n bytes and an ellipsis.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
