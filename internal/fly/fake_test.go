package fly

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	fly "github.com/superfly/fly-go"
	"github.com/superfly/fly-go/flaps"
)

// testToken is the API token of the unit tests; no error or log line may contain it.
const testToken = "fo1_unit-test-token-7f3a9c2e5b1d"

// fault is what the fake does to one request instead of (or after) answering it.
type fault struct {
	status     int           // answer this status without applying the request
	retryAfter string        // Retry-After header with status
	body       string        // error body with status (default {"error": "..."})
	dropAfter  bool          // apply the request, then close the connection without answering
	failAfter  int           // apply the request, then answer this status
	hangAfter  bool          // apply the request, then never answer (the client times out)
	hang       time.Duration // wait this long (or until the client gives up) before answering
}

// fakeFly is a small in-memory Machines API for unit tests: just enough state to check what
// the client sends and whether a retried create leaves a duplicate. Faults are scripted per
// route pattern and consumed in order.
type fakeFly struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex

	apps     map[string]*fakeApp
	faults   map[string][]fault
	requests []string // "METHOD path?query", in order
	headers  []http.Header
	bodies   []string
	nextID   int
	// leaseHolder, when set, makes every lease request answer 409 until it is cleared.
	leaseHeldBy string
}

type fakeApp struct {
	app      flaps.App
	volumes  []*fly.Volume
	machines []*fly.Machine
	ips      []flaps.IPAssignment
	secrets  map[string]string
	leases   map[string]leaseData
}

func newFakeFly(t *testing.T) *fakeFly {
	f := &fakeFly{t: t, apps: map[string]*fakeApp{}, faults: map[string][]fault{}}
	mux := http.NewServeMux()
	f.route(mux, "POST /v1/apps", f.createApp)
	f.route(mux, "GET /v1/apps", f.listApps)
	f.route(mux, "GET /v1/apps/{app}", f.getApp)
	f.route(mux, "DELETE /v1/apps/{app}", f.deleteApp)
	f.route(mux, "POST /v1/apps/{app}/volumes", f.createVolume)
	f.route(mux, "GET /v1/apps/{app}/volumes", f.listVolumes)
	f.route(mux, "GET /v1/apps/{app}/volumes/{id}", f.getVolume)
	f.route(mux, "PUT /v1/apps/{app}/volumes/{id}/extend", f.extendVolume)
	f.route(mux, "DELETE /v1/apps/{app}/volumes/{id}", f.deleteVolume)
	f.route(mux, "POST /v1/apps/{app}/ip_assignments", f.assignIP)
	f.route(mux, "GET /v1/apps/{app}/ip_assignments", f.listIPs)
	f.route(mux, "DELETE /v1/apps/{app}/ip_assignments/{ip}", f.deleteIP)
	f.route(mux, "POST /v1/apps/{app}/secrets/{name}", f.setSecret)
	f.route(mux, "GET /v1/apps/{app}/secrets", f.listSecrets)
	f.route(mux, "DELETE /v1/apps/{app}/secrets/{name}", f.deleteSecret)
	f.route(mux, "POST /v1/apps/{app}/machines", f.launch)
	f.route(mux, "GET /v1/apps/{app}/machines", f.listMachines)
	f.route(mux, "GET /v1/apps/{app}/machines/{id}", f.getMachine)
	f.route(mux, "POST /v1/apps/{app}/machines/{id}", f.updateMachine)
	f.route(mux, "POST /v1/apps/{app}/machines/{id}/start", f.setState("started"))
	f.route(mux, "POST /v1/apps/{app}/machines/{id}/stop", f.setState("stopped"))
	f.route(mux, "DELETE /v1/apps/{app}/machines/{id}", f.setState("destroyed"))
	f.route(mux, "GET /v1/apps/{app}/machines/{id}/wait", f.wait)
	f.route(mux, "POST /v1/apps/{app}/machines/{id}/lease", f.acquireLease)
	f.route(mux, "GET /v1/apps/{app}/machines/{id}/lease", f.getLease)
	f.route(mux, "DELETE /v1/apps/{app}/machines/{id}/lease", f.releaseLease)
	f.route(mux, "POST /v1/apps/{app}/machines/{id}/exec", f.exec)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// fail queues faults for the route pattern (for example "POST /v1/apps/{app}/volumes").
func (f *fakeFly) fail(pattern string, faults ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[pattern] = append(f.faults[pattern], faults...)
}

// count returns how many requests started with prefix ("POST /v1/apps/a/volumes").
func (f *fakeFly) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == prefix || strings.HasPrefix(r, prefix+"?") {
			n++
		}
	}
	return n
}

// client returns a Client on the fake with tiny backoffs; waits are recorded, not slept.
func (f *fakeFly) client(t *testing.T, mutate ...func(*Config)) (*Client, *[]time.Duration) {
	t.Helper()
	cfg := Config{
		BaseURL: f.srv.URL,
		Token:   testToken,
		Org:     "personal",
		Retry:   RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, MaxRetryAfter: 30 * time.Second},
		Timeout: 2 * time.Second,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, waits
}

func (f *fakeFly) route(mux *http.ServeMux, pattern string, h func(w http.ResponseWriter, r *http.Request) (int, any)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.headers = append(f.headers, r.Header.Clone())
		f.bodies = append(f.bodies, string(body))
		var flt fault
		if q := f.faults[pattern]; len(q) > 0 {
			flt, f.faults[pattern] = q[0], q[1:]
		}
		f.mu.Unlock()

		if flt.hang > 0 {
			select {
			case <-time.After(flt.hang):
			case <-r.Context().Done():
				return
			}
		}
		if flt.status != 0 {
			writeFault(w, flt)
			return
		}
		f.mu.Lock()
		status, out := h(w, r)
		f.mu.Unlock()
		switch {
		case flt.dropAfter:
			hj, ok := w.(http.Hijacker)
			if !ok {
				f.t.Error("fake: cannot hijack to drop a response")
				return
			}
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case flt.hangAfter:
			<-r.Context().Done()
			return
		case flt.failAfter != 0:
			writeFault(w, fault{status: flt.failAfter})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if out != nil {
			_ = json.NewEncoder(w).Encode(out)
		}
	})
}

func writeFault(w http.ResponseWriter, flt fault) {
	if flt.retryAfter != "" {
		w.Header().Set("Retry-After", flt.retryAfter)
	}
	body := flt.body
	if body == "" {
		body = fmt.Sprintf(`{"error":%q}`, http.StatusText(flt.status))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(flt.status)
	_, _ = io.WriteString(w, body)
}

func notFound(what string) (int, any) {
	return http.StatusNotFound, map[string]string{"error": what + " not found"}
}

func (f *fakeFly) id(prefix string) string {
	f.nextID++
	return fmt.Sprintf("%s%04d", prefix, f.nextID)
}

func decode[T any](r *http.Request) T {
	var v T
	_ = json.NewDecoder(r.Body).Decode(&v)
	return v
}

func (f *fakeFly) createApp(_ http.ResponseWriter, r *http.Request) (int, any) {
	in := decode[flaps.CreateAppRequest](r)
	if _, ok := f.apps[in.Name]; ok {
		return http.StatusConflict, map[string]string{"error": "app name already taken"}
	}
	a := &fakeApp{app: flaps.App{ID: f.id("app"), Name: in.Name, Network: in.Network, Status: "pending", Organization: flaps.AppOrganizationInfo{Slug: in.Org}},
		secrets: map[string]string{}, leases: map[string]leaseData{}}
	f.apps[in.Name] = a
	return http.StatusCreated, a.app
}

func (f *fakeFly) listApps(_ http.ResponseWriter, r *http.Request) (int, any) {
	var out []flaps.App
	for _, a := range f.apps {
		if a.app.Organization.Slug == r.URL.Query().Get("org_slug") {
			out = append(out, a.app)
		}
	}
	return http.StatusOK, map[string]any{"apps": out, "total_apps": len(out)}
}

func (f *fakeFly) getApp(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	return http.StatusOK, a.app
}

func (f *fakeFly) deleteApp(_ http.ResponseWriter, r *http.Request) (int, any) {
	if _, ok := f.apps[r.PathValue("app")]; !ok {
		return notFound("app")
	}
	delete(f.apps, r.PathValue("app"))
	return http.StatusAccepted, nil
}

func (f *fakeFly) createVolume(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	in := decode[fly.CreateVolumeRequest](r)
	v := &fly.Volume{ID: f.id("vol_"), Name: in.Name, Region: in.Region, SizeGb: *in.SizeGb, Encrypted: in.Encrypted != nil && *in.Encrypted, State: "created"}
	a.volumes = append(a.volumes, v)
	return http.StatusOK, v
}

func (f *fakeFly) listVolumes(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	return http.StatusOK, a.volumes
}

func (f *fakeFly) volume(r *http.Request) (*fakeApp, int, *fly.Volume) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return nil, -1, nil
	}
	for i, v := range a.volumes {
		if v.ID == r.PathValue("id") {
			return a, i, v
		}
	}
	return a, -1, nil
}

func (f *fakeFly) getVolume(_ http.ResponseWriter, r *http.Request) (int, any) {
	if _, _, v := f.volume(r); v != nil {
		return http.StatusOK, v
	}
	return notFound("volume")
}

func (f *fakeFly) extendVolume(_ http.ResponseWriter, r *http.Request) (int, any) {
	_, _, v := f.volume(r)
	if v == nil {
		return notFound("volume")
	}
	in := decode[flaps.ExtendVolumeRequest](r)
	if in.SizeGB <= v.SizeGb {
		return http.StatusBadRequest, map[string]string{"error": "size must be greater than current size"}
	}
	v.SizeGb = in.SizeGB
	return http.StatusOK, flaps.ExtendVolumeResponse{Volume: v}
}

func (f *fakeFly) deleteVolume(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, i, v := f.volume(r)
	if v == nil {
		return notFound("volume")
	}
	a.volumes = append(a.volumes[:i], a.volumes[i+1:]...)
	return http.StatusOK, v
}

func (f *fakeFly) assignIP(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	in := decode[flaps.AssignIPRequest](r)
	n := len(a.ips) + 1
	ip := flaps.IPAssignment{Region: in.Region, CreatedAt: time.Now()}
	switch in.Type {
	case "v4":
		ip.IP = fmt.Sprintf("203.0.113.%d", n)
	case "shared_v4":
		ip.IP, ip.Shared = "198.51.100.1", true
	case "v6":
		ip.IP = fmt.Sprintf("2a09:8280:1::%x", n)
	default:
		return http.StatusBadRequest, map[string]string{"error": "unknown type " + in.Type}
	}
	a.ips = append(a.ips, ip)
	return http.StatusOK, ip
}

func (f *fakeFly) listIPs(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	return http.StatusOK, flaps.ListIPAssignmentsResponse{IPs: a.ips}
}

func (f *fakeFly) deleteIP(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	for i, ip := range a.ips {
		if ip.IP == r.PathValue("ip") {
			a.ips = append(a.ips[:i], a.ips[i+1:]...)
			return http.StatusOK, nil
		}
	}
	return notFound("ip")
}

func (f *fakeFly) setSecret(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	in := decode[fly.SetAppSecretRequest](r)
	a.secrets[r.PathValue("name")] = in.Value
	return http.StatusCreated, fly.SetAppSecretResp{AppSecret: fly.AppSecret{Name: r.PathValue("name"), Digest: fmt.Sprintf("digest-%d", len(in.Value))}, Version: 1}
}

func (f *fakeFly) listSecrets(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	var out []fly.AppSecret
	for n, v := range a.secrets {
		out = append(out, fly.AppSecret{Name: n, Digest: fmt.Sprintf("digest-%d", len(v))})
	}
	return http.StatusOK, fly.ListAppSecretsResp{Secrets: out}
}

func (f *fakeFly) deleteSecret(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	if _, ok := a.secrets[r.PathValue("name")]; !ok {
		return notFound("secret")
	}
	delete(a.secrets, r.PathValue("name"))
	return http.StatusOK, fly.DeleteAppSecretResp{Version: 2}
}

func (f *fakeFly) launch(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	in := decode[fly.LaunchMachineInput](r)
	now := time.Now().UTC().Format(time.RFC3339)
	m := &fly.Machine{ID: f.id("m"), Name: in.Name, State: "started", Region: in.Region, InstanceID: f.id("i"), Config: in.Config, CreatedAt: now, UpdatedAt: now,
		Events: []*fly.MachineEvent{
			{Type: "start", Status: "started", Source: "flyd", Timestamp: 1700000002000},
			{Type: "launch", Status: "created", Source: "user", Timestamp: 1700000001000},
		}}
	a.machines = append(a.machines, m)
	return http.StatusOK, m
}

func (f *fakeFly) listMachines(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return notFound("app")
	}
	var out []*fly.Machine
	for _, m := range a.machines {
		if m.State != "destroyed" {
			out = append(out, m)
		}
	}
	return http.StatusOK, out
}

func (f *fakeFly) machine(r *http.Request) (*fakeApp, *fly.Machine) {
	a, ok := f.apps[r.PathValue("app")]
	if !ok {
		return nil, nil
	}
	for _, m := range a.machines {
		if m.ID == r.PathValue("id") {
			return a, m
		}
	}
	return a, nil
}

func (f *fakeFly) getMachine(_ http.ResponseWriter, r *http.Request) (int, any) {
	if _, m := f.machine(r); m != nil {
		return http.StatusOK, m
	}
	return notFound("machine")
}

// leased checks the nonce header of a request that needs the lease.
func (f *fakeFly) leased(a *fakeApp, r *http.Request) bool {
	l, ok := a.leases[r.PathValue("id")]
	return ok && r.Header.Get(flaps.NonceHeader) == l.Nonce
}

func (f *fakeFly) updateMachine(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, m := f.machine(r)
	if m == nil {
		return notFound("machine")
	}
	if !f.leased(a, r) {
		return http.StatusPreconditionFailed, map[string]string{"error": "lease nonce mismatch"}
	}
	in := decode[fly.LaunchMachineInput](r)
	m.Config = in.Config
	m.InstanceID = f.id("i")
	return http.StatusOK, m
}

func (f *fakeFly) setState(state string) func(http.ResponseWriter, *http.Request) (int, any) {
	return func(_ http.ResponseWriter, r *http.Request) (int, any) {
		a, m := f.machine(r)
		if m == nil || m.State == "destroyed" {
			return notFound("machine")
		}
		if !f.leased(a, r) {
			return http.StatusPreconditionFailed, map[string]string{"error": "lease nonce mismatch"}
		}
		if m.State == state {
			return http.StatusPreconditionFailed, map[string]string{"error": "machine is already " + state}
		}
		m.State = state
		return http.StatusOK, map[string]bool{"ok": true}
	}
}

func (f *fakeFly) wait(_ http.ResponseWriter, r *http.Request) (int, any) {
	_, m := f.machine(r)
	if m == nil {
		return notFound("machine")
	}
	if m.State != r.URL.Query().Get("state") {
		return http.StatusRequestTimeout, map[string]string{"error": "deadline_exceeded"}
	}
	return http.StatusOK, map[string]bool{"ok": true}
}

func (f *fakeFly) acquireLease(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, m := f.machine(r)
	if m == nil {
		return notFound("machine")
	}
	if f.leaseHeldBy != "" {
		return http.StatusConflict, map[string]string{"error": "lease currently held by " + f.leaseHeldBy}
	}
	if _, held := a.leases[m.ID]; held {
		return http.StatusConflict, map[string]string{"error": "lease currently held"}
	}
	in := decode[struct {
		Description string `json:"description"`
	}](r)
	l := leaseData{Nonce: f.id("nonce"), Owner: "tests@example.com", Description: in.Description, ExpiresAt: time.Now().Add(time.Minute).Unix()}
	a.leases[m.ID] = l
	return http.StatusOK, map[string]any{"status": "success", "data": l}
}

func (f *fakeFly) getLease(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, m := f.machine(r)
	if m == nil {
		return notFound("machine")
	}
	l, ok := a.leases[m.ID]
	if !ok {
		return notFound("lease")
	}
	return http.StatusOK, map[string]any{"status": "success", "data": l}
}

func (f *fakeFly) releaseLease(_ http.ResponseWriter, r *http.Request) (int, any) {
	a, m := f.machine(r)
	if m == nil {
		return notFound("machine")
	}
	if !f.leased(a, r) {
		return notFound("lease")
	}
	delete(a.leases, m.ID)
	return http.StatusOK, nil
}

func (f *fakeFly) exec(_ http.ResponseWriter, r *http.Request) (int, any) {
	_, m := f.machine(r)
	if m == nil {
		return notFound("machine")
	}
	in := decode[fly.MachineExecRequest](r)
	return http.StatusOK, fly.MachineExecResponse{ExitCode: 3, StdOut: in.Cmd, StdErr: "err"}
}
