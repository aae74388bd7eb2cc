package firestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestOpenRefusesBadSettings(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		project, prefix, says string
	}{
		{"", "", "project id"},
		{"My_Project", "", "not a Google Cloud project id"},
		{"proj/../other", "", "not a Google Cloud project id"},
		{"my-project", "__reserved", "collection prefix"},
		{"my-project", "a/b", "collection prefix"},
	} {
		s, err := Open(ctx, c.project, Options{CollectionPrefix: c.prefix, EmulatorHost: "127.0.0.1:1"})
		if launchpad.ErrorCode(err) != launchpad.EINVALID || !strings.Contains(launchpad.ErrorMessage(err), c.says) || s != nil {
			t.Errorf("Open(%q, prefix %q) = %v, %v; want EINVALID saying %q", c.project, c.prefix, s, err, c.says)
		}
	}
}

// rawDoc reads a document as Firestore holds it, bypassing the store.
func rawDoc(t *testing.T, s *Store, path string) map[string]any {
	t.Helper()
	snap, err := s.client.Doc(path).Get(t.Context())
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return snap.Data()
}

// countDocs counts the documents of a collection (or sub-collection) path.
func countDocs(t *testing.T, s *Store, path string) int {
	t.Helper()
	// A query for names only: ListDocuments answers in one message, and the emulator stalls on
	// answers over 4 MiB.
	snaps, err := s.client.Collection(path).Select().Documents(t.Context()).GetAll()
	if err != nil {
		t.Fatalf("listing %s: %v", path, err)
	}
	return len(snaps)
}

// TestSharedUserDocumentShape checks that users are the launchpad_users/{uid} documents the
// host's web app shares: a user written by the store has the web app's field names, and a
// document the web app wrote (no id field, fields this store does not know) is read, and
// updated without losing them.
func TestSharedUserDocumentShape(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	u := &launchpad.User{ID: "Zx9cQ2mKp1aBcDeFgHiJkLmNoPq2", Email: "a@example.com", Plan: "pro", OpenRouterKey: "v1.k1.c2VhbGVk",
		Subscription: launchpad.Subscription{StripeCustomerID: "cus_1", Status: "active"}, Usage: launchpad.Usage{MachineSeconds: 90}}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	doc := rawDoc(t, s, "launchpad_users/Zx9cQ2mKp1aBcDeFgHiJkLmNoPq2")
	sub, _ := doc["subscription"].(map[string]any)
	usage, _ := doc["usage"].(map[string]any)
	if doc["openrouterKey"] != "v1.k1.c2VhbGVk" || doc["plan"] != "pro" || sub["stripeCustomerId"] != "cus_1" || usage["machineSeconds"] != 90.0 {
		t.Fatalf("the user document does not have the web app's shape: %v", doc)
	}

	seed := map[string]any{
		"openrouterKey": "v1.k1.c2VlZA",
		"plan":          "trial",
		"subscription":  map[string]any{"status": "trialing", "stripeCustomerId": "cus_seed"},
		"usage":         map[string]any{"machineSeconds": 12},
		"displayName":   "kept by the host's web app",
	}
	if _, err := s.client.Doc("launchpad_users/seeduid").Set(ctx, seed); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(ctx, "seeduid")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "seeduid" || got.OpenRouterKey != "v1.k1.c2VlZA" || got.Subscription.Status != "trialing" || got.Usage.MachineSeconds != 12 {
		t.Fatalf("seed user read as %+v", got)
	}
	if _, err := s.UpdateUser(ctx, "seeduid", func(u *launchpad.User) error { u.Plan = "pro"; return nil }); err != nil {
		t.Fatal(err)
	}
	doc = rawDoc(t, s, "launchpad_users/seeduid")
	if doc["plan"] != "pro" || doc["displayName"] != "kept by the host's web app" {
		t.Fatalf("after UpdateUser the web app's document is %v; want plan pro and displayName kept", doc)
	}
	if byCustomer, err := s.GetUserByStripeCustomer(ctx, "cus_seed"); err != nil || byCustomer.ID != "seeduid" {
		t.Fatalf("GetUserByStripeCustomer(cus_seed) = %v, %v", byCustomer, err)
	}
}

// TestUnsafeKeysAreEncoded stores records under keys that are not valid document ids.
func TestUnsafeKeysAreEncoded(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	keys := []string{"../x", "a/b", "__name__", ".", "..", "", "/", "x/../../y", strings.Repeat("long/", 400)}
	jobIDs := map[string]string{} // an empty job id means "make one"
	for i, key := range keys {
		name := fmt.Sprintf("key %d %q", i, launchpad.Clip(key, 20))
		u := &launchpad.User{ID: key, Email: key + "@example.com", OpenRouterKey: "sealed-" + key}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("%s: CreateUser: %v", name, err)
		}
		if got, err := s.GetUser(ctx, key); err != nil || got.OpenRouterKey != "sealed-"+key {
			t.Fatalf("%s: GetUser = %v, %v", name, got, err)
		}
		if got, err := s.GetUserByEmail(ctx, key+"@example.com"); err != nil || got.ID != key {
			t.Fatalf("%s: GetUserByEmail = %v, %v", name, got, err)
		}
		if err := s.CreateTenant(ctx, &launchpad.Tenant{AppName: key, UserID: key}); err != nil {
			t.Fatalf("%s: CreateTenant: %v", name, err)
		}
		if err := s.CreatePlan(ctx, &launchpad.Plan{Name: key, StripePriceID: "price_" + key}); err != nil {
			t.Fatalf("%s: CreatePlan: %v", name, err)
		}
		if p, err := s.GetPlanByStripePrice(ctx, "price_"+key); err != nil || p.Name != key {
			t.Fatalf("%s: GetPlanByStripePrice = %v, %v", name, p, err)
		}
		j, err := s.EnqueueJob(ctx, &launchpad.Job{ID: key, Kind: launchpad.JobApply, Key: key})
		if err != nil {
			t.Fatalf("%s: EnqueueJob: %v", name, err)
		}
		jobIDs[key] = j.ID
		if err := s.AppendJobLog(ctx, j.ID, []byte("log of "+key)); err != nil {
			t.Fatalf("%s: AppendJobLog: %v", name, err)
		}
		if _, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: key, Data: []byte("state of " + key)}); err != nil {
			t.Fatalf("%s: PutState: %v", name, err)
		}
		if err := s.CreateSession(ctx, &launchpad.Session{ID: key, UserID: key, FamilyID: key, TokenHash: key, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatalf("%s: CreateSession: %v", name, err)
		}
		if _, err := s.TouchDevice(ctx, &launchpad.Device{UserID: key, Fingerprint: key}, time.Now()); err != nil {
			t.Fatalf("%s: TouchDevice: %v", name, err)
		}
		if _, err := s.AppendAudit(ctx, &launchpad.AuditEvent{Stream: "s" + key, Action: launchpad.AuditSignIn, Target: key}); err != nil {
			t.Fatalf("%s: AppendAudit: %v", name, err)
		}
	}
	for i, key := range keys {
		name := fmt.Sprintf("key %d %q", i, launchpad.Clip(key, 20))
		if log, err := s.ReadJobLog(ctx, jobIDs[key], 0); err != nil || string(log) != "log of "+key {
			t.Errorf("%s: ReadJobLog = %q, %v", name, launchpad.Clip(string(log), 40), err)
		}
		if st, err := s.GetState(ctx, key); err != nil || string(st.Data) != "state of "+key {
			t.Errorf("%s: GetState = %v, %v", name, st, err)
		}
		if tn, err := s.GetTenant(ctx, key); err != nil || tn.UserID != key {
			t.Errorf("%s: GetTenant = %v, %v", name, tn, err)
		}
		if events, err := s.ListAudit(ctx, launchpad.AuditFilter{Stream: "s" + key}); err != nil || len(events) != 1 || events[0].Target != key {
			t.Errorf("%s: ListAudit = %d events, %v", name, len(events), err)
		}
		if events, err := s.ListAudit(ctx, launchpad.AuditFilter{Stream: "s" + key, Newest: true}); err != nil || len(events) != 1 {
			t.Errorf("%s: ListAudit newest = %d events, %v", name, len(events), err)
		}
	}
	users, err := s.ListUsers(ctx, "", 1000) // ids after "": all but the user whose id is ""
	if err != nil || len(users) != len(keys)-1 {
		t.Fatalf("ListUsers = %d users, %v; want %d", len(users), err, len(keys)-1)
	}
	for i := 1; i < len(users); i++ {
		if users[i-1].ID >= users[i].ID {
			t.Fatalf("ListUsers is not ordered by id: %q before %q", users[i-1].ID, users[i].ID)
		}
	}
	// Every document name is one docID made, so no key created a path of its own.
	it := s.client.Collections(ctx)
	for {
		col, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(col.ID, "launchpad_") {
			t.Errorf("a key created the top-level collection %q", col.ID)
		}
	}
}

// TestStateIsChunked checks how Terraform state is kept: chunks under 1 MiB, written before
// the head switches to them, the old ones deleted, and concurrent unconditional writers never
// mixing their chunks or leaving any behind.
func TestStateIsChunked(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	big := bytes.Repeat([]byte("0123456789abcdef"), launchpad.MaxStateSize/16)
	if _, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws", Data: big}); err != nil {
		t.Fatal(err)
	}
	head := rawDoc(t, s, "launchpad_states/ws")
	wantChunks := (len(big) + stateChunkSize - 1) / stateChunkSize
	chunksPath := "launchpad_states/ws/chunks"
	if head["chunks"] != int64(wantChunks) || countDocs(t, s, chunksPath) != wantChunks {
		t.Fatalf("an 8 MiB state has head %v and %d chunk documents, want %d", head, countDocs(t, s, chunksPath), wantChunks)
	}
	snaps, err := s.client.Collection(chunksPath).Documents(ctx).GetAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, snap := range snaps {
		if n := len(snap.Data()["data"].([]byte)); n > stateChunkSize || n > 1<<20-1024 {
			t.Errorf("chunk %s holds %d bytes", snap.Ref.ID, n)
		}
	}

	// Four unconditional writers at once: the state is one writer's whole data, every
	// version counted, and no chunk of the losers survives.
	datas := make([][]byte, 4)
	errs := make(chan error, len(datas))
	for i := range datas {
		datas[i] = bytes.Repeat([]byte{byte('a' + i)}, 2*stateChunkSize+1000*i)
		go func() {
			_, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws", Data: datas[i]})
			errs <- err
		}()
	}
	for range datas {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent PutState: %v", err)
		}
	}
	got, err := s.GetState(ctx, "ws")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 5 {
		t.Errorf("after 1 + 4 writes the version is %d, want 5", got.Version)
	}
	whole := false
	for _, d := range datas {
		whole = whole || bytes.Equal(got.Data, d)
	}
	if !whole {
		t.Errorf("the state after concurrent writes is not any one writer's data (%d bytes)", len(got.Data))
	}
	if n, want := countDocs(t, s, chunksPath), (len(got.Data)+stateChunkSize-1)/stateChunkSize; n != want {
		t.Errorf("%d chunk documents left, want the %d of the current state", n, want)
	}

	if err := s.DeleteState(ctx, "ws"); err != nil {
		t.Fatal(err)
	}
	if n := countDocs(t, s, chunksPath); n != 0 {
		t.Errorf("DeleteState left %d chunk documents", n)
	}
}

// TestJobLogIsChunked checks that a job log is kept in chunks below 1 MiB, that an append
// larger than one commit may carry works, and that offsets stay positions in the whole output.
func TestJobLogIsChunked(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	j, err := s.EnqueueJob(ctx, &launchpad.Job{Kind: launchpad.JobApply, Key: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for i, n := range []int{100, logChunkSize - 100, 1, 5 << 20, 3 << 20, 10} {
		p := bytes.Repeat([]byte{byte('a' + i)}, n)
		if err := s.AppendJobLog(ctx, j.ID, p); err != nil {
			t.Fatalf("append %d of %d bytes: %v", i, n, err)
		}
		all = append(all, p...)
	}
	got, err := s.ReadJobLog(ctx, j.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < launchpad.JobLogLimit || len(got) > launchpad.JobLogLimit+logChunkSize || !bytes.HasSuffix(all, got) {
		t.Fatalf("the log keeps %d bytes (a suffix of the output: %v); want the last %d to %d", len(got), bytes.HasSuffix(all, got), launchpad.JobLogLimit, launchpad.JobLogLimit+logChunkSize)
	}
	tail, err := s.ReadJobLog(ctx, j.ID, int64(len(all)-20))
	if err != nil || !bytes.Equal(tail, all[len(all)-20:]) {
		t.Fatalf("ReadJobLog(len-20) = %d bytes, %v", len(tail), err)
	}
	chunksPath := "launchpad_job_logs/" + docID(j.ID) + "/chunks"
	snaps, err := s.client.Collection(chunksPath).Documents(ctx).GetAll()
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, snap := range snaps {
		n := len(snap.Data()["data"].([]byte))
		kept += n
		if n > logChunkSize {
			t.Errorf("log chunk %s holds %d bytes", snap.Ref.ID, n)
		}
	}
	if kept != len(got) {
		t.Errorf("the chunk documents hold %d bytes but the log reads %d: dropped chunks were left behind", kept, len(got))
	}
}

// TestCollectionPrefix checks that stores with different prefixes share a project without
// seeing each other's records.
func TestCollectionPrefix(t *testing.T) {
	project := newProject(t)
	a := openStore(t, project, Options{})
	b := openStore(t, project, Options{CollectionPrefix: "staging_"})
	ctx := t.Context()
	if err := a.CreateUser(ctx, &launchpad.User{ID: "u1", Plan: "prod"}); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateUser(ctx, &launchpad.User{ID: "u1", Plan: "staging"}); err != nil {
		t.Fatalf("the same id under another prefix: %v", err)
	}
	if doc := rawDoc(t, a, "staging_users/u1"); doc["plan"] != "staging" {
		t.Fatalf("staging_users/u1 = %v", doc)
	}
	if u, err := a.GetUser(ctx, "u1"); err != nil || u.Plan != "prod" {
		t.Fatalf("default-prefix store reads %v, %v", u, err)
	}
}

// TestSecretsStayOutOfErrors makes the store refuse and conflict on users that carry sealed
// credentials, and checks that no error text (the logged one included) repeats them.
func TestSecretsStayOutOfErrors(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	secret := "v1.k1.SEALED-SECRET-b3BlbnJvdXRlcg"
	u := &launchpad.User{ID: "u1", Email: "a@example.com", OpenRouterKey: secret, BYOKKey: secret}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var errs []error
	errs = append(errs, s.CreateUser(ctx, u)) // id taken
	errs = append(errs, s.CreateUser(ctx, &launchpad.User{ID: "u2", Email: "a@example.com", OpenRouterKey: secret}))
	errs = append(errs, s.CreateUser(ctx, &launchpad.User{ID: "u3", OpenRouterKey: secret + "\xff"})) // not UTF-8
	_, err := s.UpdateUser(ctx, "u1", func(u *launchpad.User) error { u.BYOKKey = secret + "\xfe"; return nil })
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d did not fail", i)
		}
		for _, text := range []string{err.Error(), launchpad.ErrorMessage(err), fmt.Sprintf("%+v", err)} {
			if strings.Contains(text, "SEALED-SECRET") {
				t.Errorf("error %d repeats the sealed credential: %s", i, text)
			}
		}
	}
	if code := launchpad.ErrorCode(errs[2]); code != launchpad.EINVALID || !strings.Contains(launchpad.ErrorMessage(errs[2]), "openrouterKey") {
		t.Errorf("a sealed value that is not UTF-8 gave %v; want EINVALID naming the field", errs[2])
	}
	got, err := s.GetUser(ctx, "u1")
	if err != nil || got.BYOKKey != secret {
		t.Fatalf("a refused update changed the user: %v", err)
	}
}

// TestPingUnreachable checks that a store pointed at nothing reports EUNAVAILABLE.
func TestPingUnreachable(t *testing.T) {
	s, err := Open(t.Context(), "my-project", Options{EmulatorHost: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := s.Ping(ctx); launchpad.ErrorCode(err) != launchpad.EUNAVAILABLE {
		t.Fatalf("Ping of nothing = %v, want %s", err, launchpad.EUNAVAILABLE)
	}
}

func TestStoreErrorCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{status.Error(codes.NotFound, "no document"), launchpad.ENOTFOUND},
		{status.Error(codes.AlreadyExists, "exists"), launchpad.ECONFLICT},
		{status.Error(codes.Aborted, "too much contention"), launchpad.ECONFLICT},
		{status.Error(codes.FailedPrecondition, "stored version differs"), launchpad.ECONFLICT},
		{status.Error(codes.Unavailable, "connection refused"), launchpad.EUNAVAILABLE},
		{status.Error(codes.DeadlineExceeded, "deadline"), launchpad.EUNAVAILABLE},
		{status.Error(codes.ResourceExhausted, "quota"), launchpad.EUNAVAILABLE},
		{status.Error(codes.PermissionDenied, "denied"), launchpad.EUNAVAILABLE},
		{status.Error(codes.Unauthenticated, "no token"), launchpad.EUNAVAILABLE},
		{status.Error(codes.InvalidArgument, "value too long"), launchpad.EINVALID},
		{status.Error(codes.Internal, "boom"), launchpad.EINTERNAL},
		{context.DeadlineExceeded, launchpad.EUNAVAILABLE},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), launchpad.EUNAVAILABLE},
		{errors.New("anything else"), launchpad.EINTERNAL},
	} {
		got := storeError(c.err, "doing a thing")
		if code := launchpad.ErrorCode(got); code != c.want {
			t.Errorf("storeError(%v) has code %q, want %q", c.err, code, c.want)
		}
		if !errors.Is(got, c.err) {
			t.Errorf("storeError(%v) lost the cause from the chain", c.err)
		}
		if c.want != launchpad.EINTERNAL && !strings.Contains(launchpad.ErrorMessage(got), "doing a thing") {
			t.Errorf("storeError(%v) message %q does not say what failed", c.err, launchpad.ErrorMessage(got))
		}
	}
	coded := launchpad.Errorf(launchpad.ENOTFOUND, "user %q not found", "u1")
	if got := storeError(coded, "x"); got != error(coded) {
		t.Errorf("storeError changed an already coded error to %v", got)
	}
	if storeError(nil, "x") != nil {
		t.Error("storeError(nil) is not nil")
	}
}

func TestLostRace(t *testing.T) {
	for code, want := range map[codes.Code]bool{
		codes.FailedPrecondition: true, codes.AlreadyExists: true, codes.NotFound: true, codes.Aborted: true,
		codes.Unavailable: false, codes.InvalidArgument: false, codes.PermissionDenied: false,
	} {
		if got := lostRace(status.Error(code, "x")); got != want {
			t.Errorf("lostRace(%s) = %v, want %v", code, got, want)
		}
	}
}
