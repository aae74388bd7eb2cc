package openrouter_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim"
	"github.com/clawdrun/terraform-provider-launchpad/internal/sim/simtest"
)

// Contract tests: the client against the OpenRouter simulator, an independent reading of
// the key-management API (internal/sim shares no code with this package).

func ptr[T any](v T) *T { return &v }

func newSimClient(t *testing.T, s *simtest.OpenRouterServer, retry openrouter.RetryPolicy) *openrouter.Client {
	t.Helper()
	c, err := openrouter.New(openrouter.Config{BaseURL: s.URL, ManagementKey: s.ManagementKey, Retry: retry, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// keyWorks asks the API about the key itself (GET /key with the key as bearer): 200 means
// the plaintext is a live key.
func keyWorks(t *testing.T, s *simtest.OpenRouterServer, key string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/key", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestContractKeyLifecycle(t *testing.T) {
	s := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	c := newSimClient(t, s, openrouter.RetryPolicy{})
	ctx := context.Background()

	issued, err := c.CreateKey(ctx, launchpad.KeySpec{Name: "lp-sub-abc12345", LimitUSD: ptr(10.0), LimitReset: launchpad.LimitResetMonthly})
	if err != nil {
		t.Fatal(err)
	}
	if !keyWorks(t, s, issued.Key) {
		t.Fatal("the returned plaintext is not a live key")
	}
	info := issued.Info
	if info.Name != "lp-sub-abc12345" || *info.LimitUSD != 10 || *info.LimitRemaining != 10 || info.LimitReset != "monthly" || info.IncludeBYOKInLimit || info.Disabled || info.CreatedAt.IsZero() {
		t.Errorf("info = %+v", info)
	}

	got, err := c.GetKey(ctx, info.Hash)
	if err != nil || got.Hash != info.Hash || got.Label == "" {
		t.Errorf("GetKey = %+v, %v", got, err)
	}
	keys, err := c.ListKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].Hash != info.Hash {
		t.Errorf("ListKeys = %v, %v", keys, err)
	}

	// A plan change updates the limit in place.
	up, err := c.UpdateKey(ctx, info.Hash, launchpad.KeyUpdate{LimitUSD: ptr(25.5)})
	if err != nil || *up.LimitUSD != 25.5 || up.LimitReset != "monthly" {
		t.Errorf("UpdateKey limit = %+v, %v", up, err)
	}
	up, err = c.UpdateKey(ctx, info.Hash, launchpad.KeyUpdate{LimitReset: ptr(""), IncludeBYOKInLimit: ptr(true)})
	if err != nil || up.LimitReset != "" || !up.IncludeBYOKInLimit || *up.LimitUSD != 25.5 {
		t.Errorf("UpdateKey reset/byok = %+v, %v", up, err)
	}
	snap := s.Sim.Snapshot()
	if len(snap.Keys) != 1 || *snap.Keys[0].Limit != 25.5 || snap.Keys[0].LimitReset != "" || !snap.Keys[0].IncludeBYOKInLimit {
		t.Errorf("snapshot = %+v", snap.Keys)
	}

	up, err = c.UpdateKey(ctx, info.Hash, launchpad.KeyUpdate{Disabled: ptr(true)})
	if err != nil || !up.Disabled {
		t.Errorf("disable = %+v, %v", up, err)
	}
	if keys, err := c.ListKeys(ctx); err != nil || len(keys) != 1 || !keys[0].Disabled {
		t.Errorf("ListKeys must include disabled keys: %v, %v", keys, err)
	}

	if err := c.DeleteKey(ctx, info.Hash); err != nil {
		t.Fatal(err)
	}
	if keyWorks(t, s, issued.Key) {
		t.Error("the key still works after DeleteKey")
	}
	if _, err := c.GetKey(ctx, info.Hash); !launchpad.IsNotFound(err) {
		t.Errorf("GetKey after delete: %v, want not_found", err)
	}
	if err := c.DeleteKey(ctx, info.Hash); !launchpad.IsNotFound(err) {
		t.Errorf("second DeleteKey: %v, want not_found", err)
	}
	if left := s.Sim.Snapshot().Keys; len(left) != 0 {
		t.Errorf("keys left: %+v", left)
	}
}

func TestContractRefusals(t *testing.T) {
	s := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	ctx := context.Background()
	bad, err := openrouter.New(openrouter.Config{BaseURL: s.URL, ManagementKey: "sk-or-v1-not-the-management-key"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.ListKeys(ctx); launchpad.ErrorCode(err) != launchpad.EUNAUTHORIZED {
		t.Errorf("ListKeys with a wrong key: %v, want unauthorized", err)
	}
	c := newSimClient(t, s, openrouter.RetryPolicy{})
	if _, err := c.UpdateKey(ctx, "0000", launchpad.KeyUpdate{Name: ptr("x")}); !launchpad.IsNotFound(err) {
		t.Errorf("UpdateKey of an unknown hash: %v, want not_found", err)
	}
}

// Many keys: ListKeys follows the simulator's pages.
func TestContractListFollowsPages(t *testing.T) {
	s := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	c := newSimClient(t, s, openrouter.RetryPolicy{})
	ctx := context.Background()
	const n = 230
	for i := range n {
		if _, err := c.CreateKey(ctx, launchpad.KeySpec{Name: fmt.Sprintf("k%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := c.ListKeys(ctx)
	if err != nil || len(keys) != n {
		t.Fatalf("ListKeys = %d keys, %v; want %d", len(keys), err, n)
	}
}

// With a fifth of requests failing with 5xx, a tenth rate limited and a tenth minted but
// their answer dropped, 20 keys are created: each call returns a live plaintext, and the
// simulator holds exactly one key per name — the orphans of lost answers were deleted.
// Deleting them all leaves nothing.
func TestContractFaultsMakeNoDuplicates(t *testing.T) {
	s := simtest.StartOpenRouter(t, sim.OpenRouterOptions{Faults: sim.Faults{ErrorRate: 0.2, RateLimitRate: 0.1, DropRate: 0.1, Seed: 11}})
	c := newSimClient(t, s, openrouter.RetryPolicy{MaxAttempts: 15, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryAfter: 2 * time.Millisecond})
	ctx := context.Background()
	issued := map[string]*launchpad.IssuedKey{}
	for i := range 20 {
		name := fmt.Sprintf("lp-sub-u%07d", i)
		k, err := c.CreateKey(ctx, launchpad.KeySpec{Name: name, LimitUSD: ptr(float64(i) + 0.5), LimitReset: launchpad.LimitResetMonthly})
		if err != nil {
			t.Fatalf("CreateKey %s: %v", name, err)
		}
		issued[name] = k
	}
	snap := s.Sim.Snapshot()
	t.Logf("faults injected while creating: %+v", snap.Faults)
	if snap.Faults.Dropped == 0 || snap.Faults.Errors == 0 || snap.Faults.RateLimited == 0 {
		t.Errorf("the faults did not all happen (%+v): the test proves nothing", snap.Faults)
	}
	perName := map[string]int{}
	for _, k := range snap.Keys {
		perName[k.Name]++
		if want, ok := issued[k.Name]; !ok || want.Info.Hash != k.Hash {
			t.Errorf("key %s (%s) is not the one CreateKey returned", k.Name, k.Hash)
		}
	}
	for name := range issued {
		if perName[name] != 1 {
			t.Errorf("%s: %d keys, want exactly 1", name, perName[name])
		}
	}
	if len(snap.Keys) != len(issued) {
		t.Errorf("keys = %d, want %d", len(snap.Keys), len(issued))
	}

	s.Sim.SetFaults(sim.Faults{}) // probe the plaintexts without faults
	for name, k := range issued {
		if !keyWorks(t, s, k.Key) {
			t.Errorf("%s: the returned plaintext is not a live key", name)
		}
	}
	s.Sim.SetFaults(sim.Faults{ErrorRate: 0.2, RateLimitRate: 0.1, DropRate: 0.1, Seed: 12})
	for name, k := range issued {
		if err := c.DeleteKey(ctx, k.Info.Hash); err != nil && !launchpad.IsNotFound(err) {
			t.Fatalf("DeleteKey %s: %v", name, err)
		}
	}
	if left := s.Sim.Snapshot().Keys; len(left) != 0 {
		t.Errorf("keys left after teardown: %+v", left)
	}
}

// The client's default attempts carry a key read through a cloud's bad day (30% of
// requests failing); the waits are shortened so the test takes seconds.
func TestDefaultAttemptsAbsorbACloudBadDay(t *testing.T) {
	s := simtest.StartOpenRouter(t, sim.OpenRouterOptions{})
	c := newSimClient(t, s, openrouter.RetryPolicy{InitialBackoff: time.Microsecond, MaxBackoff: time.Microsecond, MaxRetryAfter: time.Microsecond})
	ctx := context.Background()
	limit := 10.0
	k, err := c.CreateKey(ctx, launchpad.KeySpec{Name: "launchpad-baddays", LimitUSD: &limit, LimitReset: launchpad.LimitResetMonthly})
	if err != nil {
		t.Fatal(err)
	}
	simtest.SurvivesACloudBadDay(t, s.Sim, func() error {
		_, err := c.GetKey(ctx, k.Info.Hash)
		return err
	})
}
