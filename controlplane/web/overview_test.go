package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

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
	c := newClient(t, w)
	c.signIn(tn.email, 1)
	status, body := c.do("GET", "/", nil)
	if status != http.StatusOK {
		t.Fatalf("overview: %d", status)
	}
	for _, want := range []string{`id="hour-cap"`, "Machine hours used up", "it ran the 10 hours your plan includes", capped.Format("2 Jan 2006, 15:04 UTC"),
		"move to a plan with more hours", "10 of 10 hours used (100%)", "Stopped"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Contains(body, `id="spend-cap"`) {
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
