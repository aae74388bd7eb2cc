package controlplane

import (
	"net/http"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Behind a trusted proxy, clients of one IPv6 /64 share the per-IP sign-in budget, clients of
// another /64 do not, and IPv4 clients are limited address by address.
func TestPerIPLimitsGroupIPv6ByNetwork(t *testing.T) {
	env := newTestEnv(t, func(c *Config) {
		proxies, err := ParseTrustedProxies("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		c.TrustedProxies = proxies
		c.Limits = Limits{
			CodesPerEmail: RateLimit{Off: true},
			CodesPerIP:    RateLimit{Every: time.Hour, Burst: 2},
			VerifyPerIP:   RateLimit{Off: true},
			MFAPerUser:    RateLimit{Off: true},
		}
	})
	c := env.newClient("test")
	send := func(from string) *response {
		return c.doWith(http.MethodPost, "/api/auth/send-verification", "", map[string]string{"X-Forwarded-For": from},
			map[string]string{"email": "ada@example.com"})
	}
	mustStatus(t, send("2001:db8:1:2::1"), http.StatusAccepted)
	mustStatus(t, send("2001:db8:1:2:dead:beef:0:1"), http.StatusAccepted)
	r := send("2001:db8:1:2::ffff")
	mustStatus(t, r, http.StatusTooManyRequests)
	if r.errorCode(t) != launchpad.ERATELIMITED {
		t.Fatalf("a third address of one /64: %s", r.body)
	}
	mustStatus(t, send("2001:db8:1:3::1"), http.StatusAccepted) // another /64

	mustStatus(t, send("192.0.2.1"), http.StatusAccepted)
	mustStatus(t, send("192.0.2.1"), http.StatusAccepted)
	mustStatus(t, send("::ffff:192.0.2.1"), http.StatusTooManyRequests) // the same IPv4 client
	mustStatus(t, send("192.0.2.2"), http.StatusAccepted)               // its neighbour
}
