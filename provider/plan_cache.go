package provider

import (
	"context"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// planCacheTTL is how long a plan record read from the store answers later reads.
const planCacheTTL = 10 * time.Second

// cachedPlans is the store with GetPlan answered from memory for a few seconds. Every
// sub-key and tenant reads its plan while it is planned — a fleet of a thousand tenants reads
// the same few plan records two thousand times per plan, one store round trip each (on
// Firestore a network round trip). Plans change rarely and only through launchpad_plan: every
// plan write through this store drops the cache, so this provider process never reads back a
// plan older than its own write; a change made by another process shows within the TTL, as
// a read a few seconds earlier would. Only found plans are kept: a plan that does not exist
// yet is looked up again every time.
type cachedPlans struct {
	launchpad.Store
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	plans map[string]cachedPlan
	epoch uint64 // bumped by every plan write; a read begun in an older epoch is not kept
}

type cachedPlan struct {
	plan   launchpad.Plan
	readAt time.Time
}

func newCachedPlans(st launchpad.Store, now func() time.Time) *cachedPlans {
	return &cachedPlans{Store: st, ttl: planCacheTTL, now: now, plans: map[string]cachedPlan{}}
}

func (s *cachedPlans) GetPlan(ctx context.Context, name string) (*launchpad.Plan, error) {
	s.mu.Lock()
	c, ok := s.plans[name]
	epoch := s.epoch
	s.mu.Unlock()
	if ok && s.now().Sub(c.readAt) < s.ttl {
		p := c.plan // callers may change what they get
		return &p, nil
	}
	readAt := s.now()
	p, err := s.Store.GetPlan(ctx, name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.epoch == epoch {
		s.plans[name] = cachedPlan{plan: *p, readAt: readAt}
	}
	s.mu.Unlock()
	return p, nil
}

func (s *cachedPlans) drop() {
	s.mu.Lock()
	s.epoch++
	clear(s.plans)
	s.mu.Unlock()
}

func (s *cachedPlans) CreatePlan(ctx context.Context, p *launchpad.Plan) error {
	defer s.drop()
	return s.Store.CreatePlan(ctx, p)
}

func (s *cachedPlans) UpdatePlan(ctx context.Context, name string, fn func(*launchpad.Plan) error) (*launchpad.Plan, error) {
	defer s.drop()
	return s.Store.UpdatePlan(ctx, name, fn)
}

func (s *cachedPlans) DeletePlan(ctx context.Context, name string) error {
	defer s.drop()
	return s.Store.DeletePlan(ctx, name)
}
