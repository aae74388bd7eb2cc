package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/billing/billingtest"
	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// postman delivers Stripe events the way Stripe does: signed at each attempt, retried until
// the endpoint answers 2xx. It keeps every answer, to check that nothing answered 2xx is
// lost and that no event is taken for new twice.
type postman struct {
	api    *stack.Client
	secret string
	lat    *latencies // may be nil

	mu      sync.Mutex
	answers map[string]*answers // by event id
	events  map[string]billingtest.Event
	retried int // attempts that got no 2xx (serve down, restarting)
}

type answers struct {
	fresh, duplicate int
	refused          []string // 4xx answers: Stripe would give up; a bug here
}

func newPostman(url, secret string, lat *latencies) *postman {
	return &postman{
		api:    &stack.Client{URL: url, HC: &http.Client{Timeout: 15 * time.Second}},
		secret: secret, lat: lat,
		answers: map[string]*answers{}, events: map[string]billingtest.Event{},
	}
}

// deliver posts ev until it is accepted, the endpoint refuses it (4xx), or ctx ends.
func (p *postman) deliver(ctx context.Context, ev billingtest.Event) error {
	p.mu.Lock()
	a := p.answers[ev.ID]
	if a == nil {
		a = &answers{}
		p.answers[ev.ID], p.events[ev.ID] = a, ev
	}
	p.mu.Unlock()
	for {
		start := time.Now()
		dup, err := p.api.Deliver(ctx, ev, p.secret)
		var ae *stack.APIError
		errors.As(err, &ae)
		if p.lat != nil {
			status := http.StatusOK
			if ae != nil {
				status = ae.Status
			}
			p.lat.record("POST /api/stripe/webhook", time.Since(start), status, err != nil && ae == nil, err)
		}
		p.mu.Lock()
		switch {
		case err == nil && dup:
			a.duplicate++
		case err == nil:
			a.fresh++
		case ae != nil && ae.Status/100 == 4:
			a.refused = append(a.refused, err.Error())
		default:
			p.retried++
		}
		p.mu.Unlock()
		if err == nil {
			return nil
		}
		if ae != nil && ae.Status/100 == 4 {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("event %s never delivered: %w (last: %v)", ev.ID, ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// delivered is every event posted, by id.
func (p *postman) delivered() map[string]billingtest.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]billingtest.Event, len(p.events))
	for k, v := range p.events {
		out[k] = v
	}
	return out
}

func (p *postman) answersOf(id string) answers {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a := p.answers[id]; a != nil {
		return *a
	}
	return answers{}
}
