package retry

import (
	"testing"
	"time"
)

func TestBackoffGrowsWithJitterAndIsCapped(t *testing.T) {
	p := Policy{MaxAttempts: 10, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond}.WithDefaults()
	b := p.newBackOff()
	limits := []time.Duration{100, 200, 400, 400, 400}
	for i, base := range limits {
		base *= time.Millisecond
		d := p.wait(b, 0)
		if d < base/2 || d > base*3/2 {
			t.Errorf("wait %d = %s, want within ±50%% of %s", i+1, d, base)
		}
	}
}

func TestPolicyDefaults(t *testing.T) {
	got := Policy{}.WithDefaults()
	want := Policy{MaxAttempts: 12, InitialBackoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second, MaxRetryAfter: 30 * time.Second}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
}
