//go:build live

package controlplane

// The control plane's smoke test against the real services. It is compiled only with the
// `live` build tag and runs only under `make testlive` (LAUNCHPAD_LIVE=1), which sweeps
// afterwards whatever carries the run's prefix.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	stripeclient "github.com/stripe/stripe-go/v76/client"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/live"
	"github.com/clawdrun/terraform-provider-launchpad/internal/healthcheck"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/smtp"
)

// TestLiveServe_smoke starts serve as an operator would — a SQLite store in a temporary
// directory, the real Fly organization and OpenRouter, and the Stripe test-mode secret key —
// and checks that it starts, that /healthz and the healthcheck subcommand pass, and that
// Stripe accepts its key: a signed webhook event about a real test-mode subscription,
// carrying a status and a price that are not the subscription's, ends with the user's record
// holding the subscription as Stripe has it, which only a fetch from the Stripe API with
// STRIPE_API_KEY can give.
//
// It applies no tenant (the provider's live tests do that through tofu): LAUNCHPAD_TOFU is a
// stand-in that applies nothing, and the subscription's price belongs to no launchpad_plan.
func TestLiveServe_smoke(t *testing.T) {
	if !live.Enabled() {
		t.Skip("a live test: it uses real Stripe test-mode objects, so it runs only under `make testlive` (LAUNCHPAD_LIVE=1)")
	}
	c := live.FromEnv(os.Getenv)
	if p := c.Problems(); len(p) > 0 {
		t.Fatalf("LAUNCHPAD_LIVE=1 but the live configuration is not usable: %s", strings.Join(p, "; "))
	}
	user := c.UserID()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// Stripe test-mode objects, marked for the sweep: a product, its monthly price, a
	// customer and a subscription with a trial (which needs no payment method).
	sc := stripeclient.New(c.StripeKey, nil)
	meta := map[string]string{live.StripeMetadataKey: c.Prefix, "user_id": user}
	product, err := sc.Products.New(&stripe.ProductParams{Params: stripe.Params{Context: ctx},
		Name: stripe.String("Launchpad live run " + user), Metadata: meta})
	if err != nil {
		t.Fatalf("creating a Stripe test product: %v", err)
	}
	t.Cleanup(func() {
		if _, err := sc.Products.Update(product.ID, &stripe.ProductParams{Active: stripe.Bool(false)}); err != nil {
			t.Logf("archiving Stripe product %s: %v (the sweep takes it)", product.ID, err)
		}
	})
	price, err := sc.Prices.New(&stripe.PriceParams{Params: stripe.Params{Context: ctx}, Product: stripe.String(product.ID),
		Currency: stripe.String(string(stripe.CurrencyUSD)), UnitAmount: stripe.Int64(100),
		Recurring: &stripe.PriceRecurringParams{Interval: stripe.String(string(stripe.PriceRecurringIntervalMonth))}, Metadata: meta})
	if err != nil {
		t.Fatalf("creating a Stripe test price: %v", err)
	}
	customer, err := sc.Customers.New(&stripe.CustomerParams{Params: stripe.Params{Context: ctx},
		Email: stripe.String(user + "@example.com"), Metadata: meta})
	if err != nil {
		t.Fatalf("creating a Stripe test customer: %v", err)
	}
	t.Cleanup(func() {
		if _, err := sc.Customers.Del(customer.ID, nil); err != nil {
			t.Logf("deleting Stripe customer %s: %v (the sweep takes it)", customer.ID, err)
		}
	})
	sub, err := sc.Subscriptions.New(&stripe.SubscriptionParams{Params: stripe.Params{Context: ctx}, Customer: stripe.String(customer.ID),
		Items: []*stripe.SubscriptionItemsParams{{Price: stripe.String(price.ID)}}, TrialPeriodDays: stripe.Int64(7), Metadata: meta})
	if err != nil {
		t.Fatalf("creating a Stripe test subscription: %v", err)
	}
	t.Logf("Stripe test mode: customer %s, subscription %s (%s), price %s", customer.ID, sub.ID, sub.Status, price.ID)

	// serve, configured through its environment as an operator configures it.
	dir := t.TempDir()
	webhookSecret := "whsec_" + liveRandomHex(t, 24)
	env := map[string]string{
		"PLATFORM_SECRET":           liveRandomHex(t, 32),
		"LAUNCHPAD_ADDR":            "127.0.0.1:0",
		"LAUNCHPAD_STORE":           "sqlite://" + filepath.Join(dir, "launchpad.db"),
		"LAUNCHPAD_SMTP_URL":        smtp.LogURL,
		"LAUNCHPAD_DATA_DIR":        filepath.Join(dir, "data"),
		"LAUNCHPAD_TOFU":            liveNoApplyTofu(t),
		"STRIPE_WEBHOOK_SECRET":     webhookSecret,
		"STRIPE_API_KEY":            c.StripeKey,
		"FLY_API_TOKEN":             c.FlyToken,
		"FLY_ORG":                   c.FlyOrg,
		"FLY_FLAPS_BASE_URL":        c.FlyURL,
		"OPENROUTER_MANAGEMENT_KEY": c.ORKey,
		"OPENROUTER_API_URL":        c.ORURL,
	}
	cfg, err := loadServeConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("serve's configuration: %v", err)
	}
	logs := &liveLog{}
	sctx, stop := context.WithCancel(context.Background())
	listening := make(chan *Server, 1)
	exited := make(chan int, 1)
	go func() { exited <- serve(sctx, cfg, logs, func(srv *Server) { listening <- srv }) }()
	var srv *Server
	select {
	case srv = <-listening:
	case code := <-exited:
		stop()
		t.Fatalf("serve exited %d before listening:\n%s", code, logs)
	case <-time.After(time.Minute):
		stop()
		t.Fatalf("serve did not listen within a minute:\n%s", logs)
	}
	t.Cleanup(func() {
		stop()
		if code := <-exited; code != 0 {
			t.Errorf("serve exited %d after its context ended", code)
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", logs)
		}
	})

	// It is up: /healthz, and the image's health check.
	resp, err := http.Get(srv.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz answered %d", resp.StatusCode)
	}
	var hcOut, hcErr bytes.Buffer
	if code := healthcheck.Run(ctx, []string{"-url", srv.URL() + "/healthz"}, &hcOut, &hcErr); code != 0 {
		t.Fatalf("healthcheck exited %d: %s%s", code, hcOut.String(), hcErr.String())
	}

	// The Stripe key: a signed event whose copy of the subscription is wrong on purpose.
	if err := srv.store.CreateUser(ctx, &launchpad.User{ID: user, Email: user + "@example.com", Plan: launchpad.TrialPlan}); err != nil {
		t.Fatal(err)
	}
	eventPrice := "price_" + user + "EventCopy"
	ev := billingtest.SubscriptionUpdated("evt_"+user+liveRandomHex(t, 4), time.Now(), billingtest.Subscription{
		ID: sub.ID, Customer: customer.ID, Status: "active", Price: eventPrice, PeriodStart: time.Now().Add(-time.Hour),
		Metadata: map[string]string{"user_id": user},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/api/stripe/webhook", bytes.NewReader(ev.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", ev.Signature(webhookSecret, time.Now()))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("the webhook answered %d: %s", resp.StatusCode, body)
	}

	deadline := time.Now().Add(3 * time.Minute)
	for {
		u, err := srv.store.GetUser(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		s := u.Subscription
		if s.StripeSubscriptionID == sub.ID && s.Status == string(sub.Status) && s.PriceID == price.ID &&
			s.CurrentPeriodStart.Unix() == sub.CurrentPeriodStart && s.CurrentPeriodEnd.Unix() == sub.CurrentPeriodEnd {
			t.Logf("serve fetched subscription %s from Stripe: %s, price %s, period %s to %s (the event said active, price %s)",
				sub.ID, s.Status, s.PriceID, s.CurrentPeriodStart.Format(time.RFC3339), s.CurrentPeriodEnd.Format(time.RFC3339), eventPrice)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("three minutes after the event, the user's subscription is %+v; want Stripe's %s: %s, price %s, period %d-%d.\n%s",
				s, sub.ID, sub.Status, price.ID, sub.CurrentPeriodStart, sub.CurrentPeriodEnd, liveEventJobs(ctx, srv))
		}
		time.Sleep(time.Second)
	}
}

// liveEventJobs describes the Stripe event jobs, for a failure message: a refused key shows
// as the Stripe API's answer in a job's error.
func liveEventJobs(ctx context.Context, srv *Server) string {
	jobs, err := srv.store.ListJobs(ctx, launchpad.JobFilter{Kind: launchpad.JobStripeEvent, Limit: 20})
	if err != nil {
		return "listing the event jobs: " + err.Error()
	}
	var b strings.Builder
	for _, j := range jobs {
		fmt.Fprintf(&b, "event job %s: %s, %d attempts, error %q\n", j.ID, j.Status, j.Attempts, j.Error)
	}
	return b.String()
}

// liveNoApplyTofu is a stand-in for tofu: serve only checks that LAUNCHPAD_TOFU can be run,
// and this test applies nothing.
func liveNoApplyTofu(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tofu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho 'the live smoke test applies nothing' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func liveRandomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// liveLog is serve's log, written by its goroutines and read by the test.
type liveLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *liveLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *liveLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
