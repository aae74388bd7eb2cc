package contract

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Allowance is one line of allowlist.txt: a deviation from a spec that is known, reviewed
// and explained.
type Allowance struct {
	Line int
	// API is "fly" or "openrouter".
	API string
	// Kind is "route", "request" or "response".
	Kind string
	// Route is "METHOD /path" as the violation names it; the path may use * for one segment
	// and end in /** for any rest, and the method may be *.
	Route string
	// Status is the response status it covers: a number, "4xx"-style class, or "*".
	Status string
	// Match is a part of the validator's message ("*": any message).
	Match string
	// Reason says why the deviation is right: the spec predates the live API, fly-go sends it
	// so, Fly answers so.
	Reason string
}

// Allows reports whether a covers v.
func (a Allowance) Allows(v Violation) bool {
	if a.API != v.API || a.Kind != v.Kind || !routeMatches(a.Route, v.Route) {
		return false
	}
	if v.Kind == "response" && !statusMatches(a.Status, v.Status) {
		return false
	}
	return a.Match == "*" || strings.Contains(v.Message, a.Match)
}

func routeMatches(pattern, route string) bool {
	pm, pp, _ := strings.Cut(pattern, " ")
	rm, rp, _ := strings.Cut(route, " ")
	if pm != "*" && pm != rm {
		return false
	}
	want := strings.Split(strings.TrimPrefix(pp, "/"), "/")
	got := strings.Split(strings.TrimPrefix(rp, "/"), "/")
	anyRest := len(want) > 0 && want[len(want)-1] == "**"
	if anyRest {
		want = want[:len(want)-1]
		if len(got) < len(want) {
			return false
		}
		got = got[:len(want)]
	}
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if ok, err := path.Match(want[i], got[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

func statusMatches(pattern string, status int) bool {
	switch {
	case pattern == "*":
		return true
	case len(pattern) == 3 && strings.HasSuffix(pattern, "xx"):
		return strconv.Itoa(status)[:1] == pattern[:1]
	}
	return pattern == strconv.Itoa(status)
}

// Allowlist parses allowlist.txt. Each line that is not blank or a # comment has six fields
// separated by " | ": api | kind | route | status | match | reason. Every field is required,
// the reason most of all.
func Allowlist() ([]Allowance, error) {
	raw, err := files.ReadFile("allowlist.txt")
	if err != nil {
		return nil, err
	}
	return parseAllowlist(raw)
}

func parseAllowlist(raw []byte) ([]Allowance, error) {
	var out []Allowance
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, " | ")
		if len(f) != 6 {
			return nil, fmt.Errorf("contract: allowlist.txt line %d: want 6 fields separated by \" | \" (api | kind | route | status | match | reason), got %d", n, len(f))
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		a := Allowance{Line: n, API: f[0], Kind: f[1], Route: f[2], Status: f[3], Match: f[4], Reason: f[5]}
		method, _, _ := strings.Cut(a.Route, " ")
		switch {
		case a.API != Fly.Name && a.API != OpenRouter.Name:
			return nil, fmt.Errorf("contract: allowlist.txt line %d: api %q: use fly or openrouter", n, a.API)
		case a.Kind != "route" && a.Kind != "request" && a.Kind != "response":
			return nil, fmt.Errorf("contract: allowlist.txt line %d: kind %q: use route, request or response", n, a.Kind)
		case !strings.Contains(a.Route, " /") || (method != "*" && http.MethodGet != method && !knownMethod(method)):
			return nil, fmt.Errorf("contract: allowlist.txt line %d: route %q: write METHOD /path", n, a.Route)
		case a.Status == "" || a.Match == "":
			return nil, fmt.Errorf("contract: allowlist.txt line %d: status and match are required (* for any)", n)
		case len(strings.Fields(a.Reason)) < 4:
			return nil, fmt.Errorf("contract: allowlist.txt line %d: the reason %q does not say why", n, a.Reason)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}

func knownMethod(m string) bool {
	switch m {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead:
		return true
	}
	return false
}
