// Package plancache is a launchpad.Store whose plan records are read from memory for a few
// seconds. It belongs to neither lifecycle: the tenant and sub-key lifecycles and the plan
// resource all read plans through the one store a provider process opens.
package plancache

import (
	"context"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// TTL is how long a plan record read from the store answers later reads.
const TTL = 10 * time.Second

var _ launchpad.Store = (*Store)(nil)

// Store is a store with GetPlan answered from memory for a few seconds. Every sub-key and
// tenant reads its plan while it is planned — a fleet of a thousand tenants reads
// the same few plan records two thousand times per plan, one store round trip each (on
// Firestore a network round trip). Plans change rarely and only through launchpad_plan: every
// plan write through this store drops the cache, so the process that holds it never reads back
// a plan older than its own write; a change made by another process shows within the TTL, as
// a read a few seconds earlier would. Only found plans are kept: a plan that does not exist
// yet is looked up again every time.
type Store struct {
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

// New wraps st; now is the clock of the records' age.
func New(st launchpad.Store, now func() time.Time) *Store {
	return &Store{Store: st, ttl: TTL, now: now, plans: map[string]cachedPlan{}}
}

func (s *Store) GetPlan(ctx context.Context, name string) (*launchpad.Plan, error) {
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

func (s *Store) drop() {
	s.mu.Lock()
	s.epoch++
	clear(s.plans)
	s.mu.Unlock()
}

func (s *Store) CreatePlan(ctx context.Context, p *launchpad.Plan) error {
	defer s.drop()
	return s.Store.CreatePlan(ctx, p)
}

func (s *Store) UpdatePlan(ctx context.Context, name string, fn func(*launchpad.Plan) error) (*launchpad.Plan, error) {
	defer s.drop()
	return s.Store.UpdatePlan(ctx, name, fn)
}

func (s *Store) DeletePlan(ctx context.Context, name string) error {
	defer s.drop()
	return s.Store.DeletePlan(ctx, name)
}
