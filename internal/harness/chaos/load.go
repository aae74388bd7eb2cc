package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/chaos/invariants"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// load holds the control plane under load: API clients signing in and reading, webhook
// senders changing plans, the apply workers busy.
func (cp *controlPlaneRun) load(ctx context.Context) error {
	if err := cp.setup(ctx); err != nil {
		return err
	}
	c := cp.c
	serve := cp.h.current()
	c.say("%d API clients (each from its own loopback address) and %d webhook senders for %s against serve pid %d",
		c.o.clients, c.o.senders, c.o.load, serve.Pid())

	mb := newMailbox()
	mailCtx, stopMail := context.WithCancel(ctx)
	defer stopMail()
	go func() { _ = mb.follow(mailCtx, serve.Log) }()

	loadCtx, stop := context.WithTimeout(ctx, c.o.load)
	defer stop()
	// The senders spread over the replicas (one each when there are two).
	var pms []*postman
	for _, h := range cp.replicas() {
		pms = append(pms, newPostman(h.url, c.secrets.webhook, cp.lat))
	}
	cp.postmen = append(cp.postmen, pms...)
	var customers []*customer
	var wg sync.WaitGroup
	var signIns, codesMissing atomic.Int64
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range c.o.senders {
		cu := newCustomer("l", i+1, base.Add(time.Duration(i)*time.Minute))
		customers = append(customers, cu)
		r := rand.New(rand.NewPCG(c.rand.Uint64(), uint64(i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			cp.sender(ctx, loadCtx, pms[i%len(pms)], cu, r, i%5 == 4)
		}()
	}
	for i := range c.o.clients {
		r := rand.New(rand.NewPCG(c.rand.Uint64(), uint64(1000+i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			cp.apiClient(loadCtx, i, r, mb, &signIns, &codesMissing)
		}()
	}
	began := time.Now()
	<-loadCtx.Done()
	rss, rssErr := peakRSS(serve.Pid())
	wg.Wait()
	cp.customers = append(cp.customers, customers...)
	c.say("held %s: %d sign-ins completed, %d sign-in codes never arrived", time.Since(began).Round(100*time.Millisecond), signIns.Load(), codesMissing.Load())
	cp.lat.print(c.out)
	if rssErr != nil {
		return fmt.Errorf("reading serve's peak RSS: %w", rssErr)
	}
	c.say("serve (pid %d) peak RSS (VmHWM): %.1f MiB", serve.Pid(), float64(rss)/1024)
	took := cp.drain(ctx)
	c.say("queue drained %s after the load", took.Round(100*time.Millisecond))

	noServerErrors := invariants.Result{Name: "no 5xx and every request answered"}
	for route, s := range cp.lat.snapshot() {
		noServerErrors.Passed += s.ok + s.limited + s.client
		if s.server+s.failed > 0 {
			noServerErrors.Fail("%s: %d answered 5xx, %d unanswered; e.g. %v", route, s.server, s.failed, s.examples)
		}
		if s.client > 0 {
			noServerErrors.Fail("%s: %d answered 4xx other than 429 (a client bug or a server one); e.g. %v", route, s.client, s.examples)
		}
	}
	codes := invariants.Result{Name: "every sign-in code mailed"}
	codes.Passed = int(signIns.Load())
	if n := codesMissing.Load(); n > 0 {
		codes.Fail("%d codes did not reach the (log) mailer within 30s", n)
	}
	events := cp.checkEvents(pms)
	plans := cp.checkPlans(ctx, customers, pms)
	c.add("load", noServerErrors, codes, events, plans)

	lost := "nothing"
	if events.Failed() > 0 {
		lost = fmt.Sprintf("%d events", events.Failed())
	}
	c.row(scenarioRow{
		scenario: fmt.Sprintf("load: %d clients, %d webhook senders, %d workers", c.o.clients, c.o.senders, c.o.workers),
		runs:     fmt.Sprintf("%s held", c.o.load),
		subjects: fmt.Sprintf("%d requests, %d events, %d tenants", noServerErrors.Passed+noServerErrors.Failed(), delivered(pms), len(customers)),
		lost:     lost,
	})
	return nil
}

// sender is one Stripe customer during the load: a checkout, then a plan change every two
// to four seconds, sometimes two sent newest first, sometimes an earlier event sent again;
// cancel ends the subscription when the load ends.
func (cp *controlPlaneRun) sender(ctx, loadCtx context.Context, pm *postman, cu *customer, r *rand.Rand, cancel bool) {
	send := func(evs ...billingtest.Event) {
		for _, ev := range evs {
			dctx, done := context.WithTimeout(ctx, time.Minute)
			_ = pm.deliver(dctx, ev) // a failure shows in the checks: never answered 2xx
			done()
		}
	}
	price := priceStarter
	if r.IntN(2) == 0 {
		price = pricePro
	}
	send(cu.checkout(), cu.subscription(billingtest.SubscriptionCreated, "active", price), cu.invoice("subscription_create"))
	for {
		select {
		case <-loadCtx.Done():
			if cancel {
				send(cu.subscription(billingtest.SubscriptionDeleted, "canceled", cu.price))
			}
			return
		case <-time.After(2*time.Second + time.Duration(r.Int64N(int64(2*time.Second)))):
		}
		ev := cu.subscription(billingtest.SubscriptionUpdated, "active", other(cu.price))
		if r.IntN(5) == 0 {
			newer := cu.subscription(billingtest.SubscriptionUpdated, "active", other(cu.price))
			send(newer, ev)
		} else {
			send(ev)
		}
		if r.IntN(4) == 0 {
			send(cu.events[r.IntN(len(cu.events))])
		}
	}
}

// apiClient signs in with a fresh address, reads /api/me and /api/audit for ten to twenty
// seconds with a short pause between reads, and signs in again, until ctx ends. Its
// connections come from its own loopback address (127.0.1.N), as different clients' would.
func (cp *controlPlaneRun) apiClient(ctx context.Context, i int, r *rand.Rand, mb *mailbox, signIns, codesMissing *atomic.Int64) {
	ip := net.IPv4(127, 0, 1, byte(i+1))
	tr := &http.Transport{
		DialContext:         (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	cl := &stack.Client{URL: cp.h.url, HC: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
	for round := 0; ctx.Err() == nil; round++ {
		email := fmt.Sprintf("load-%03d-%02d@example.com", i+1, round)
		token, wait := cp.signIn(ctx, cl, mb, email, codesMissing)
		if token == "" {
			sleepUntil(ctx, time.Now().Add(wait))
			continue
		}
		signIns.Add(1)
		until := time.Now().Add(10*time.Second + time.Duration(r.Int64N(int64(10*time.Second))))
		for time.Now().Before(until) && ctx.Err() == nil {
			// timed records each answer, failures included, for the report.
			_, _ = cp.timed(ctx, cl, "GET /api/me", http.MethodGet, "/api/me", token, nil)
			_, _ = cp.timed(ctx, cl, "GET /api/audit", http.MethodGet, "/api/audit", token, nil)
			sleepUntil(ctx, time.Now().Add(50*time.Millisecond+time.Duration(r.Int64N(int64(100*time.Millisecond)))))
		}
	}
}

// signIn asks for a code, reads it from the mailbox and exchanges it for an access token.
// Without a token it says how long to wait before trying again (a 429's Retry-After).
func (cp *controlPlaneRun) signIn(ctx context.Context, cl *stack.Client, mb *mailbox, email string, codesMissing *atomic.Int64) (string, time.Duration) {
	body, _ := json.Marshal(map[string]string{"email": email})
	if _, err := cp.timed(ctx, cl, "POST /api/auth/send-verification", http.MethodPost, "/api/auth/send-verification", "", body); err != nil {
		return "", retryAfter(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	code, err := mb.code(cctx, email)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			codesMissing.Add(1)
		}
		return "", time.Second
	}
	body, _ = json.Marshal(map[string]string{"email": email, "code": code})
	b, err := cp.timed(ctx, cl, "POST /api/auth/verify", http.MethodPost, "/api/auth/verify", "", body)
	if err != nil {
		return "", retryAfter(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
		return "", time.Second
	}
	return tok.AccessToken, 0
}

// timed sends one request and records how long it took and how it was answered; the body
// is kept to look for secrets in. Requests cut short by the end of the load are not counted.
func (cp *controlPlaneRun) timed(ctx context.Context, cl *stack.Client, route, method, path, token string, body []byte) ([]byte, error) {
	start := time.Now()
	b, err := cl.Raw(ctx, method, path, token, nil, body)
	d := time.Since(start)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var ae *stack.APIError
	status := http.StatusOK
	if errors.As(err, &ae) {
		status = ae.Status
	}
	cp.lat.record(route, d, status, err != nil && ae == nil, err)
	cp.bodies.add(b)
	return b, err
}

// retryAfter is the wait a 429 asks for (capped at 10s), else a second.
func retryAfter(err error) time.Duration {
	var ae *stack.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
		if s, err := strconv.Atoi(ae.Header.Get("Retry-After")); err == nil && s > 0 {
			return min(time.Duration(s)*time.Second, 10*time.Second)
		}
	}
	return time.Second
}

// peakRSS reads a process's peak resident set size (VmHWM, in KiB) from /proc.
func peakRSS(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// delivered counts the events the postmen posted.
func delivered(pms []*postman) int {
	n := 0
	for _, pm := range pms {
		n += len(pm.delivered())
	}
	return n
}
