package billing_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// startStripeMock runs stripe-mock (STRIPE_MOCK_BIN, or stripe-mock on PATH) on a free
// loopback port for the test and returns its base URL. Without it the test fails when
// CI=true and is skipped, saying why, otherwise.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("STRIPE_MOCK_BIN")
	if bin == "" {
		bin, _ = exec.LookPath("stripe-mock")
	}
	if bin == "" {
		msg := "stripe-mock not found: set STRIPE_MOCK_BIN (`make tools` installs stripe-mock v0.183.0 into bin/; `make test` sets it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`Listening for HTTP at address: (\S+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("stripe-mock did not say where it listens within 30s")
		return ""
	}
}

func TestWithAnAPIKeyTheSubscriptionIsFetchedNotTakenFromThePayload(t *testing.T) {
	base := startStripeMock(t)
	api := billing.NewStripeAPI("sk_test_launchpad", base, nil)
	ctx := context.Background()

	// stripe-mock answers with its fixture subscription under the id asked for.
	fixture, err := api.GetSubscription(ctx, "sub_mocked")
	if err != nil {
		t.Fatalf("GetSubscription from stripe-mock: %v", err)
	}
	if fixture.ID != "sub_mocked" || fixture.Items == nil || len(fixture.Items.Data) == 0 || fixture.Items.Data[0].Price == nil {
		t.Fatalf("stripe-mock's subscription has no item price: %+v", fixture)
	}
	price := fixture.Items.Data[0].Price.ID

	w := newWorld(t, api)
	if err := w.store.CreatePlan(ctx, &launchpad.Plan{Name: "mocked", StripePriceID: price, MonthlySpendLimitUSD: 20, VolumeSizeGB: 10,
		Guest: launchpad.Guest{CPUKind: "shared", CPUs: 2, MemoryMB: 2048}}); err != nil {
		t.Fatalf("a plan for stripe-mock's price %q: %v", price, err)
	}
	w.createUser(t, "u1", "alice@example.com")

	// The checkout alone is enough: the processor fetches the subscription it names.
	w.deliver(t, event("evt_checkout", billing.EventCheckoutCompleted, at(0), checkoutObject("cs_1", "cus_1", "u1", "alice@example.com", "sub_mocked", nil)))
	w.drainOK(t)
	u := getUser(t, w.store, "u1")
	if u.Plan != "mocked" || u.Subscription.Status != string(fixture.Status) || u.Subscription.PriceID != price {
		t.Fatalf("after checkout: plan %q, subscription %+v; want Stripe's (stripe-mock's) state: plan mocked, status %s", u.Plan, u.Subscription, fixture.Status)
	}

	// An event whose copy says canceled on another price: Stripe says otherwise, and wins.
	w.deliver(t, event("evt_updated", billing.EventSubscriptionUpdated, at(time.Minute), subscriptionObject("sub_mocked", "cus_1", "canceled", "price_Starter", t0)))
	w.drainOK(t)
	u = getUser(t, w.store, "u1")
	if u.Plan != "mocked" || u.Subscription.Status != string(fixture.Status) {
		t.Fatalf("after an event whose payload disagrees with Stripe: plan %q, status %q; want Stripe's state kept", u.Plan, u.Subscription.Status)
	}
	if got := w.applies(t, "u1"); len(got) != 1 || got[0].Plan != "mocked" {
		t.Fatalf("apply jobs %+v; want one for the fetched plan", got)
	}
}
