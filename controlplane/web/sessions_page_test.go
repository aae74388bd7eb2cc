package web_test

import (
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane"
)

// Each row of "Where you are signed in" shows the address the session was last used from and
// when: the sign-in records both, and a later page load from another network, reported by a
// trusted proxy, moves them, while the sign-in time stays.
func TestSecurityPageShowsEachSessionsAddressAndLastActivity(t *testing.T) {
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	w := newWorldAt(t, now, func(c *controlplane.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	const email = "grace@example.com"
	phone, laptop := newClient(t, w), newClient(t, w)
	phone.forwardedFor, laptop.forwardedFor = "198.51.100.7", "203.0.113.9"
	signedIn := now()
	phone.signIn(email, 1)
	laptop.signIn(email, 2)

	skew.Store(int64(10 * time.Minute)) // well past how often activity is recorded
	phone.forwardedFor = "198.51.100.99"
	before := now()
	if status, _ := phone.do("GET", "/", nil); status != http.StatusOK {
		t.Fatalf("the phone's overview: %d", status)
	}
	after := now()
	status, body := laptop.do("GET", "/security", nil)
	if status != http.StatusOK {
		t.Fatalf("security page: %d", status)
	}

	table := sessionsTable(t, body)
	phoneRow, laptopRow := sessionRow(t, table, "198.51.100.99"), sessionRow(t, table, "203.0.113.9")
	if !strings.Contains(phoneRow, `data-label="Last active">`+when(before)) && !strings.Contains(phoneRow, `data-label="Last active">`+when(after)) {
		t.Errorf("the phone's row does not show its page load at %s as its last activity:\n%s", when(before), phoneRow)
	}
	if !strings.Contains(phoneRow, `data-label="Signed in">`+when(signedIn)) {
		t.Errorf("the phone's row lost its sign-in time %s:\n%s", when(signedIn), phoneRow)
	}
	if !strings.Contains(laptopRow, "this browser") || strings.Contains(table, "<code>198.51.100.7</code>") {
		t.Errorf("the rows do not each show the session's own latest address:\n%s\n%s", phoneRow, laptopRow)
	}
}

// sessionsTable is the "Where you are signed in" card of the security page.
func sessionsTable(t *testing.T, body string) string {
	t.Helper()
	start := strings.Index(body, `id="sessions-title"`)
	end := strings.Index(body, `id="devices-title"`)
	if start < 0 || end < start {
		t.Fatalf("no sessions table:\n%s", body)
	}
	return body[start:end]
}

// sessionRow is the row of the sessions table that shows addr.
func sessionRow(t *testing.T, table, addr string) string {
	t.Helper()
	for _, row := range strings.Split(table, "<tr>") {
		if strings.Contains(row, `data-label="Address"><code>`+addr+`</code>`) {
			return row
		}
	}
	t.Fatalf("no session row shows the address %s:\n%s", addr, table)
	return ""
}

func when(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }
