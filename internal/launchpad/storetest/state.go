package storetest

import (
	"bytes"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func stateCases() []testCase {
	return []testCase{
		{"state/put_get_versions", testStatePutGet},
		{"state/optimistic_conflict", testStateConflict},
		{"state/optimistic_conflict_concurrent", testStateConflictConcurrent},
		{"state/delete", testStateDelete},
		{"state/large_blob_byte_for_byte", testStateLarge},
		{"state/max_size", testStateMaxSize},
		{"state/records_are_copies", testStateCopies},
	}
}

func testStatePutGet(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.GetState(ctx, "ws1")
	wantCode(t, err, launchpad.ENOTFOUND, "GetState of a missing workspace")

	v, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte(`{"version":4,"serial":1}`)})
	wantOK(t, err, "PutState new")
	if v != 1 {
		t.Fatalf("first PutState returned version %d, want 1", v)
	}
	got, err := s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if got.Workspace != "ws1" || got.Version != 1 || string(got.Data) != `{"version":4,"serial":1}` {
		t.Fatalf("GetState = %q v%d %q", got.Workspace, got.Version, got.Data)
	}
	if got.UpdatedAt.IsZero() {
		t.Fatal("GetState has no UpdatedAt")
	}
	wantUTC(t, "StateBlob.UpdatedAt", got.UpdatedAt)

	v, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte(`{"serial":2}`), Version: 1})
	wantOK(t, err, "PutState at the stored version")
	if v != 2 {
		t.Fatalf("PutState returned version %d, want 2", v)
	}
	// Version 0 writes unconditionally.
	v, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte(`{"serial":3}`)})
	wantOK(t, err, "PutState unconditional")
	if v != 3 {
		t.Fatalf("unconditional PutState returned version %d, want 3", v)
	}
	got, err = s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if got.Version != 3 || string(got.Data) != `{"serial":3}` {
		t.Fatalf("GetState = v%d %q, want v3 {\"serial\":3}", got.Version, got.Data)
	}
	// Workspaces are independent.
	v, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws2", Data: []byte(`{}`)})
	wantOK(t, err, "PutState ws2")
	if v != 1 {
		t.Fatalf("first PutState of another workspace returned version %d, want 1", v)
	}
}

func testStateConflict(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte("one"), Version: 3})
	wantCode(t, err, launchpad.ECONFLICT, "PutState with a version for a workspace that has none")
	_, err = s.GetState(ctx, "ws1")
	wantCode(t, err, launchpad.ENOTFOUND, "the workspace a refused PutState named")

	_, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte("one")})
	wantOK(t, err, "PutState")
	_, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte("two"), Version: 1})
	wantOK(t, err, "PutState v1")
	_, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte("stale"), Version: 1})
	wantCode(t, err, launchpad.ECONFLICT, "PutState with a stale version")
	got, err := s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if got.Version != 2 || string(got.Data) != "two" {
		t.Fatalf("after a refused stale write: v%d %q, want v2 \"two\"", got.Version, got.Data)
	}
}

func testStateConflictConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	_, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte("base")})
	wantOK(t, err, "PutState")
	errs := make([]error, concurrency)
	Race(concurrency, func(i int) {
		_, errs[i] = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte{byte(i)}, Version: 1})
	})
	winner := -1
	for i, err := range errs {
		switch launchpad.ErrorCode(err) {
		case "":
			if winner >= 0 {
				t.Fatalf("writers %d and %d both wrote version 1 -> 2", winner, i)
			}
			winner = i
		case launchpad.ECONFLICT:
		default:
			t.Errorf("writer %d: %v, want nil or conflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no concurrent PutState at version 1 succeeded")
	}
	got, err := s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if got.Version != 2 || !bytes.Equal(got.Data, []byte{byte(winner)}) {
		t.Fatalf("stored v%d %v, want v2 with the winner's data %v", got.Version, got.Data, []byte{byte(winner)})
	}
}

func testStateDelete(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	wantCode(t, s.DeleteState(ctx, "ws1"), launchpad.ENOTFOUND, "DeleteState of a missing workspace")
	_, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte("one")})
	wantOK(t, err, "PutState")
	_, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws2", Data: []byte("keep")})
	wantOK(t, err, "PutState ws2")
	wantOK(t, s.DeleteState(ctx, "ws1"), "DeleteState")
	_, err = s.GetState(ctx, "ws1")
	wantCode(t, err, launchpad.ENOTFOUND, "GetState after DeleteState")
	got, err := s.GetState(ctx, "ws2")
	wantOK(t, err, "GetState of the other workspace")
	if string(got.Data) != "keep" {
		t.Fatalf("DeleteState(ws1) changed ws2 to %q", got.Data)
	}
	_, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: []byte("again")})
	wantOK(t, err, "PutState after DeleteState")
	got, err = s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if string(got.Data) != "again" {
		t.Fatalf("GetState after re-creating = %q", got.Data)
	}
}

func testStateLarge(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	big := randomBytes(7, 5<<20+12345) // several MiB, not a multiple of any chunk size
	v, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: big})
	wantOK(t, err, "PutState of 5 MiB")
	got, err := s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if got.Version != v || !bytes.Equal(got.Data, big) {
		t.Fatalf("a %d-byte state came back as %d bytes (equal: %v), version %d want %d", len(big), len(got.Data), bytes.Equal(got.Data, big), got.Version, v)
	}
	// A smaller state replaces a larger one completely (no tail of the old one survives).
	small := randomBytes(8, 1000)
	_, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: small, Version: v})
	wantOK(t, err, "PutState smaller")
	got, err = s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if !bytes.Equal(got.Data, small) {
		t.Fatalf("after replacing 5 MiB with 1000 bytes, GetState returned %d bytes", len(got.Data))
	}
}

func testStateMaxSize(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	limit := randomBytes(9, launchpad.MaxStateSize)
	_, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: limit})
	wantOK(t, err, "PutState of exactly MaxStateSize")
	got, err := s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if !bytes.Equal(got.Data, limit) {
		t.Fatalf("a state of exactly MaxStateSize came back as %d bytes", len(got.Data))
	}
	_, err = s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: randomBytes(10, launchpad.MaxStateSize+1)})
	wantCode(t, err, launchpad.EINVALID, "PutState of MaxStateSize+1 bytes")
	if msg := launchpad.ErrorMessage(err); msg == "" {
		t.Fatal("the EINVALID error for an oversized state has no message")
	}
	got, err = s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState after a refused oversized write")
	if got.Version != 1 || !bytes.Equal(got.Data, limit) {
		t.Fatalf("a refused oversized write changed the stored state (v%d, %d bytes)", got.Version, len(got.Data))
	}
}

func testStateCopies(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	in := []byte("original")
	_, err := s.PutState(ctx, &launchpad.StateBlob{Workspace: "ws1", Data: in})
	wantOK(t, err, "PutState")
	copy(in, "scribble")
	got, err := s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if string(got.Data) != "original" {
		t.Fatalf("mutating PutState's argument changed the store: %q", got.Data)
	}
	copy(got.Data, "scribble")
	got, err = s.GetState(ctx, "ws1")
	wantOK(t, err, "GetState")
	if string(got.Data) != "original" {
		t.Fatalf("mutating GetState's result changed the store: %q", got.Data)
	}
}
