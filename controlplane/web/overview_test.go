package web_test

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/notice"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// A machine the hour cap stopped: the overview says so, when it runs again and what to do.
func TestOverviewShowsTheHourCap(t *testing.T) {
	w := newWorld(t)
	tn := w.provision("hopper@example.com")
	capped := time.Now().UTC().Add(-time.Hour)
	if _, err := w.store.UpdateUser(context.Background(), tn.userID, func(u *launchpad.User) error {
		u.Usage.MachineSeconds = proHours * 3600
		u.Usage.CappedAt = capped
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.UpdateTenant(context.Background(), tn.app, func(rec *launchpad.Tenant) error {
		rec.MachineState = "stopped"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	body := overviewOf(t, w, tn)
	for _, want := range []string{`data-kind="hour_capped"`, "Machine hours used up", "ran the 10 machine hours your plan includes", capped.Format("2 Jan 2006, 15:04 UTC"),
		"Move to a plan with more hours", "10 of 10 hours used (100%)", "Stopped"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Contains(body, "Model spend limit reached") {
		t.Error("the spend-cap notice shows with spend left")
	}
}

// Closing the server ends the live feeds at once, instead of waiting out the shutdown timeout.
func TestLiveFeedEndsWhenTheServerCloses(t *testing.T) {
	w := newWorld(t)
	tn := w.provision("turing@example.com")
	c := newClient(t, w)
	c.signIn(tn.email, 1)
	res, err := c.hc.Get(w.url + "/audit/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	ended := make(chan struct{})
	go func() {
		buf := make([]byte, 1024)
		for {
			if _, err := res.Body.Read(buf); err != nil {
				close(ended)
				return
			}
		}
	}()
	start := time.Now()
	if err := w.srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the feed is still open after the server closed")
	}
	t.Logf("server closed with a live feed open in %s", time.Since(start).Round(time.Millisecond))
}

// A spent key: the notice says when the limit really comes back — OpenRouter restores a
// monthly limit at 00:00 UTC on the 1st of the calendar month, not at the end of the Stripe
// cycle — computed from the control plane's clock, and that requests are refused with 402 or
// 403, either of which the gateway may answer.
func TestSpendCapNoticeSaysWhenTheLimitReallyComesBack(t *testing.T) {
	// Mid-January on the control plane's clock, moving with the wall clock so that sessions
	// last; the Stripe cycle (provision) ends about a month after the wall clock's today.
	offset := time.Date(2030, 1, 20, 10, 0, 0, 0, time.UTC).Sub(time.Now())
	w := newWorldAt(t, func() time.Time { return time.Now().Add(offset) })
	tn := w.provision("lovelace@example.com")
	if status := w.spendUntilRefused(tn); status != http.StatusPaymentRequired && status != http.StatusForbidden {
		t.Fatalf("the gateway refused the spent key with %d, want 402 or 403", status)
	}
	body := overviewOf(t, w, tn)
	start := strings.Index(body, `data-kind="spend_capped"`)
	if start < 0 {
		t.Fatalf("no spend-cap notice for a spent key:\n%s", body)
	}
	notice := body[start : start+strings.Index(body[start:], "</section>")]
	for _, want := range []string{"402 Payment Required", "403 Forbidden", `Limit comes back on: <time datetime="2030-02-01T00:00:00Z">1 Feb 2030, 00:00 UTC</time>`, "not on your billing date"} {
		if !strings.Contains(notice, want) {
			t.Errorf("the notice lacks %q:\n%s", want, notice)
		}
	}
	u, err := w.store.GetUser(context.Background(), tn.userID)
	if err != nil {
		t.Fatal(err)
	}
	if cycleEnd := u.Usage.CycleEnd.Format("2 Jan 2006"); strings.Contains(notice, cycleEnd) || strings.Contains(notice, "billing cycle") {
		t.Errorf("the notice still promises the limit with the billing cycle (ending %s):\n%s", cycleEnd, notice)
	}
}

// Past 80% of the hours, the overview shows the warning in the email's words, and the cycle's
// hours and spend per day as two labelled SVG bar charts (a day without figures drawn as
// zero) with a table of the same figures.
func TestOverviewChartsUsagePerDayAndWarnsAt80(t *testing.T) {
	w := newWorld(t)
	tn := w.provision("lovelace@example.com")
	now := time.Now().UTC()
	var cycleEnd time.Time
	if _, err := w.store.UpdateUser(context.Background(), tn.userID, func(u *launchpad.User) error {
		u.Usage = launchpad.Usage{CycleStart: now.Add(-72 * time.Hour), CycleEnd: now.Add(20 * 24 * time.Hour), MachineSeconds: 8.5 * 3600, MeteredUntil: now}
		u.Usage.AddToDay(now.Add(-48*time.Hour), 5*3600, 0.25)
		u.Usage.AddToDay(now, 3.5*3600, 1.5)
		cycleEnd = u.Usage.CycleEnd
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	body := overviewOf(t, w, tn)
	warning := notice.HoursWarningNotice(8.5, proHours, cycleEnd)
	day := func(d time.Duration) string { return now.Add(d).Format("2 Jan") }
	for _, want := range []string{`id="warning-hours_warning"`, html.EscapeString(warning.Title), html.EscapeString(warning.Text), warning.Action.Label,
		`<svg viewBox="0 0 400 200" role="img"`, "Machine hours per day", "Model spend per day", ">Hours</text>", ">US dollars</text>", ">Day (UTC)</text>",
		"<title>" + day(-48*time.Hour) + ": 5 h</title>", "<title>" + day(-24*time.Hour) + ": 0 h</title>", "<title>" + day(0) + ": $1.50</title>",
		`<table class="visually-hidden" id="usage-days">`, "<td>3.5</td><td>$1.50</td>", "<td>0</td><td>$0.00</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if n := strings.Count(body, `<tr><th scope="row">`); n != 3 {
		t.Errorf("%d rows of days in the table, want 3 (one without figures)", n)
	}
}

// overviewOf signs tn in on a new client and returns the overview page.
func overviewOf(t *testing.T, w *world, tn *tenant) string {
	t.Helper()
	c := newClient(t, w)
	c.signIn(tn.email, 1)
	status, body := c.do("GET", "/", nil)
	if status != http.StatusOK {
		t.Fatalf("overview: %d", status)
	}
	return body
}
