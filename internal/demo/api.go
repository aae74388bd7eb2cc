package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// controlPlane is a client of the control plane's HTTP API, written against the API as
// documented rather than the server's types: the demo uses it the way an operator would.
type controlPlane struct {
	url        string
	adminToken string
	hc         *http.Client
}

// apiError is a non-2xx answer in the API's error envelope.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// call sends a request with a JSON body (in, when not nil) and decodes a JSON answer into out
// (when not nil). header may add headers.
func (c *controlPlane) call(ctx context.Context, method, path, token string, header map[string]string, in []byte, out any) error {
	var body io.Reader
	if in != nil {
		body = bytes.NewReader(in)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		var env struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(b, &env)
		return &apiError{Status: res.StatusCode, Code: env.Error.Code, Message: env.Error.Message}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s answered %d with %q: %w", method, path, res.StatusCode, truncate(string(b), 200), err)
		}
	}
	return nil
}

func (c *controlPlane) admin(ctx context.Context, path string, out any) error {
	return c.call(ctx, http.MethodGet, path, c.adminToken, nil, nil, out)
}

// deliver posts a signed Stripe event to the webhook and returns whether the control plane
// had it already.
func (c *controlPlane) deliver(ctx context.Context, ev event) (duplicate bool, err error) {
	var out struct{ Received, Duplicate bool }
	if err := c.call(ctx, http.MethodPost, "/api/stripe/webhook", "", map[string]string{"Stripe-Signature": ev.Signature}, ev.Body, &out); err != nil {
		return false, fmt.Errorf("webhook %s (%s): %w", ev.ID, ev.Type, err)
	}
	if !out.Received {
		return false, fmt.Errorf("webhook %s (%s) was not received", ev.ID, ev.Type)
	}
	return out.Duplicate, nil
}

// job is a background job as GET /api/admin/jobs shows it.
type job struct {
	ID       string `json:"id"`
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

func (j job) what() string {
	switch {
	case j.Apply == nil:
		return "?"
	case j.Apply.Destroy:
		return "destroy"
	default:
		return "plan " + j.Apply.Plan
	}
}

// applies lists the user's apply jobs, newest first.
func (c *controlPlane) applies(ctx context.Context, userID string) ([]job, error) {
	var out struct {
		Jobs []job `json:"jobs"`
	}
	err := c.admin(ctx, "/api/admin/jobs?kind=apply&user_id="+userID, &out)
	return out.Jobs, err
}

// me is what GET /api/me says about the signed-in user.
type me struct {
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

// follow reads the event stream of a job's log (GET /api/admin/jobs/{id}/log) until the job
// is over, calls line for each log line, and returns the job as the stream's end event has it.
func (c *controlPlane) follow(ctx context.Context, id string, line func(string)) (job, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/api/admin/jobs/"+id+"/log", nil)
	if err != nil {
		return job{}, err
	}
	req.Header.Set("Authorization", "Bearer "+c.adminToken)
	req.Header.Set("Accept", "text/event-stream")
	stream := &http.Client{} // no timeout: the stream lasts as long as the apply
	res, err := stream.Do(req)
	if err != nil {
		return job{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return job{}, fmt.Errorf("the log stream of job %s answered %d", id, res.StatusCode)
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
				var j job
				if err := json.Unmarshal([]byte(strings.Join(data, "\n")), &j); err != nil {
					return job{}, fmt.Errorf("the end event of job %s: %w", id, err)
				}
				return j, nil
			case "error":
				return job{}, fmt.Errorf("the log stream of job %s failed: %s", id, strings.Join(data, " "))
			}
			name, data = "", nil
		}
	}
	if err := sc.Err(); err != nil {
		return job{}, err
	}
	return job{}, fmt.Errorf("the log stream of job %s ended before the job did", id)
}

// waitReady polls /readyz until the control plane says its store answers.
func (c *controlPlane) waitReady(ctx context.Context) error {
	for {
		if err := c.call(ctx, http.MethodGet, "/readyz", "", nil, nil, nil); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the control plane at %s never said it was ready: %w", c.url, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
