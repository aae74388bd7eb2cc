package fly

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TestRecentLogsReadsTheSimulatorsRing: the machine's events and its printed lines come back
// oldest first, cut to the newest max, paged with next_token, and a missing app is ENOTFOUND.
func TestRecentLogsReadsTheSimulatorsRing(t *testing.T) {
	s, c, _, m := machineOnSim(t)
	ctx := context.Background()
	for i := range 150 { // more than one page of the log API
		if err := s.Sim.AppendLog("lp-a-u-1", m.ID, "info", fmt.Sprintf("agent line %03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	lines, err := c.RecentLogs(ctx, "lp-a-u-1", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) < 152 { // launch and start events, then the 150 lines
		t.Fatalf("got %d lines, want the 2 event lines and 150 printed ones", len(lines))
	}
	if !strings.Contains(lines[0].Message, "launch") || lines[len(lines)-1].Message != "agent line 149" {
		t.Fatalf("lines not oldest first: first %q, last %q", lines[0].Message, lines[len(lines)-1].Message)
	}
	if lines[0].Instance != m.ID || lines[0].Time.IsZero() {
		t.Fatalf("first line lacks its machine or time: %+v", lines[0])
	}
	newest, err := c.RecentLogs(ctx, "lp-a-u-1", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(newest) != 3 || newest[2].Message != "agent line 149" || newest[0].Message != "agent line 147" {
		t.Fatalf("RecentLogs(3) = %v, want the last three lines", messages(newest))
	}
	if len(sent(s, "GET /api/v1/apps/lp-a-u-1/logs")) < 2 {
		t.Fatal("the client did not page through the log API")
	}
	if _, err := c.RecentLogs(ctx, "lp-nope", 10); !launchpad.IsNotFound(err) {
		t.Fatalf("logs of a missing app: %v, want ENOTFOUND", err)
	}
}

func messages(lines []*launchpad.LogLine) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Message)
	}
	return out
}
