package launchpad

import (
	"slices"
	"strings"
	"testing"
)

func TestParseApplyRequest(t *testing.T) {
	d, err := ParseApplyRequest([]byte(`{"user_id":"u1","plan":"pro","region":"ams","reason":"subscription"}`))
	if err != nil || d != (ApplyRequest{UserID: "u1", Plan: "pro", Region: "ams", Reason: "subscription"}) {
		t.Fatalf("ParseApplyRequest = %+v, %v", d, err)
	}
	// A payload with the generations round-trips; one written before they existed reads as 0.
	gen := ApplyRequest{UserID: "u1", Plan: "pro", KeyRotation: 2, Rebuild: 9, Reason: ReasonKeyRotation}
	if back, err := ParseApplyRequest(gen.Payload()); err != nil || back != gen {
		t.Fatalf("ParseApplyRequest(Payload(%+v)) = %+v, %v", gen, back, err)
	}
	if _, err := ParseApplyRequest([]byte(`{"user_id":"u1","destroy":true}`)); err != nil {
		t.Fatalf("a destroy needs no plan: %v", err)
	}
	for _, bad := range []string{`{"user_id":"u1"}`, `{"user_id":"u1","plan":"pro"} {}`, `{"user_id":"u1","plan":"pro","reason":"Drop Table"}`, `[]`,
		`{"user_id":"u1","plan":"pro","key_rotation":-1}`, `{"user_id":"u1","plan":"pro","rebuild":"1"}`, `{"user_id":"u1","plan":"pro","rebuild":1.5}`} {
		if _, err := ParseApplyRequest([]byte(bad)); ErrorCode(err) != EINVALID {
			t.Errorf("ParseApplyRequest(%s) = %v; want EINVALID", bad, err)
		}
	}
	if p := (ApplyRequest{UserID: "u1", Plan: "pro"}).Payload(); !strings.Contains(string(p), `"user_id":"u1"`) || strings.Contains(string(p), "destroy") ||
		strings.Contains(string(p), "key_rotation") || strings.Contains(string(p), "rebuild") {
		t.Errorf("Payload = %s", p)
	}
}

func TestFlyRegionsAreSortedUniqueCodes(t *testing.T) {
	if !slices.IsSorted(FlyRegions) || len(slices.Compact(slices.Clone(FlyRegions))) != len(FlyRegions) {
		t.Errorf("FlyRegions must be sorted and unique (IsFlyRegion searches it): %v", FlyRegions)
	}
	for _, r := range FlyRegions {
		if !regionPattern.MatchString(r) {
			t.Errorf("FlyRegions holds %q, not a three-letter code", r)
		}
	}
	if err := ValidateRegion("zzz"); err == nil || !strings.Contains(ErrorMessage(err), "iad") {
		t.Errorf("ValidateRegion(zzz) = %v, want an error listing the regions", err)
	}
}

func TestPlacementRules(t *testing.T) {
	for _, ok := range []string{"iad", "ams", "syd"} {
		if err := ValidateRegion(ok); err != nil {
			t.Errorf("ValidateRegion(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "IAD", "ia", "iad1", "i d", "iadd", "zzz", "abc"} {
		if ErrorCode(ValidateRegion(bad)) != EINVALID {
			t.Errorf("ValidateRegion(%q) accepted", bad)
		}
	}
	for _, ok := range []string{"registry.fly.io/hermes-agent:1.4.2", "nginx", "localhost:5000/a/b:v1",
		"ghcr.io/x/y@sha256:" + strings.Repeat("a", 64)} {
		if err := ValidateImage(ok); err != nil {
			t.Errorf("ValidateImage(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Not An Image!!", "UPPER/case", "a b", "x:{{.}}", strings.Repeat("a", 513), "img\xff"} {
		if ErrorCode(ValidateImage(bad)) != EINVALID {
			t.Errorf("ValidateImage(%q) accepted", bad)
		}
	}
}
