package fly

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	fly "github.com/superfly/fly-go"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// DefaultLogsBaseURL is Fly's platform API, where the log API lives (not on the Machines API).
const DefaultLogsBaseURL = "https://api.fly.io"

// maxLogPages bounds how many pages RecentLogs reads before it keeps the newest lines.
const maxLogPages = 10

var _ launchpad.LogReader = (*Client)(nil)

// logsPage is the log API's answer, as fly-go v0.3.1 (resource_logs.go) decodes it; the
// lines are fly-go's own LogEntry.
type logsPage struct {
	Data []struct {
		ID         string       `json:"id"`
		Attributes fly.LogEntry `json:"attributes"`
	} `json:"data"`
	Meta struct {
		NextToken string `json:"next_token"`
	} `json:"meta"`
}

// RecentLogs reads the app's newest lines from Fly's log API (GET /api/v1/apps/{app}/logs,
// the request fly-go's Client.GetAppLogs makes). fly-go's own method is not called because it
// reads its endpoint from a package-wide variable; this client sends the same request to
// Config.BaseURL when one is set (the simulator serves both APIs) and to api.fly.io
// otherwise, through the same retries and error mapping as every other call.
func (c *Client) RecentLogs(ctx context.Context, app string, max int) ([]*launchpad.LogLine, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	if max <= 0 {
		return nil, nil
	}
	var lines []*launchpad.LogLine
	token := ""
	for range maxLogPages {
		page, err := read(ctx, c, "reading the app's logs", func(ctx context.Context) (*logsPage, error) {
			return c.logsPage(ctx, app, token)
		})
		if err != nil {
			return nil, err
		}
		for _, d := range page.Data {
			lines = append(lines, logLine(d.Attributes))
		}
		if len(page.Data) == 0 || page.Meta.NextToken == "" || page.Meta.NextToken == token {
			break
		}
		token = page.Meta.NextToken
	}
	if len(lines) > max {
		lines = slices.Clone(lines[len(lines)-max:])
	}
	return lines, nil
}

func (c *Client) logsPage(ctx context.Context, app, token string) (*logsPage, error) {
	q := url.Values{}
	q.Set("next_token", token)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.logsBase+"/api/v1/apps/"+url.PathEscape(app)+"/logs?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Authorization", c.tokens.BubblegumHeader())
	resp, err := c.logsHTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var p logsPage
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "Fly's log API answered something that is not a page of logs: %v", err)
	}
	return &p, nil
}

func logLine(e fly.LogEntry) *launchpad.LogLine {
	t, _ := time.Parse(time.RFC3339Nano, e.Timestamp)
	instance, region := e.Instance, e.Region
	if instance == "" {
		instance = e.Meta.Instance
	}
	if region == "" {
		region = e.Meta.Region
	}
	return &launchpad.LogLine{Time: t, Level: e.Level, Message: e.Message, Instance: instance, Region: region}
}
