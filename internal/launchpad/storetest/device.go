package storetest

import (
	"sort"
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func deviceCases() []testCase {
	return []testCase{
		{"device/touch_new_then_known", testDeviceTouch},
		{"device/touch_concurrent_exactly_one_new", testDeviceTouchConcurrent},
	}
}

func newDevice(userID, fingerprint string) *launchpad.Device {
	return &launchpad.Device{UserID: userID, Fingerprint: fingerprint, UserAgent: "Mozilla/5.0 launchpad-test"}
}

func testDeviceTouch(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	devices, err := s.ListDevices(ctx, "u1")
	wantOK(t, err, "ListDevices of a user without devices")
	if len(devices) != 0 {
		t.Fatalf("ListDevices of a new user returned %d", len(devices))
	}
	isNew, err := s.TouchDevice(ctx, newDevice("u1", "fp-a"), at(0))
	wantOK(t, err, "TouchDevice")
	if !isNew {
		t.Fatal("the first sign-in from a device is not new")
	}
	isNew, err = s.TouchDevice(ctx, newDevice("u1", "fp-a"), at(time.Hour))
	wantOK(t, err, "TouchDevice again")
	if isNew {
		t.Fatal("a known device was reported new")
	}
	isNew, err = s.TouchDevice(ctx, newDevice("u1", "fp-b"), at(2*time.Hour))
	wantOK(t, err, "TouchDevice second device")
	if !isNew {
		t.Fatal("a second device was not reported new")
	}
	isNew, err = s.TouchDevice(ctx, newDevice("u2", "fp-a"), at(3*time.Hour))
	wantOK(t, err, "TouchDevice other user")
	if !isNew {
		t.Fatal("another user's first sign-in from the same device fingerprint is not new for that user")
	}

	devices, err = s.ListDevices(ctx, "u1")
	wantOK(t, err, "ListDevices")
	sort.Slice(devices, func(i, j int) bool { return devices[i].Fingerprint < devices[j].Fingerprint })
	want := []*launchpad.Device{
		{UserID: "u1", Fingerprint: "fp-a", UserAgent: "Mozilla/5.0 launchpad-test", FirstSeen: at(0), LastSeen: at(time.Hour)},
		{UserID: "u1", Fingerprint: "fp-b", UserAgent: "Mozilla/5.0 launchpad-test", FirstSeen: at(2 * time.Hour), LastSeen: at(2 * time.Hour)},
	}
	wantEqual(t, "ListDevices", devices, want)
}

func testDeviceTouchConcurrent(t *testing.T, s launchpad.Store) {
	ctx := t.Context()
	fresh := make([]bool, concurrency)
	Race(concurrency, func(i int) {
		isNew, err := s.TouchDevice(ctx, newDevice("u1", "fp-a"), at(time.Duration(i)*time.Second))
		if err != nil {
			t.Errorf("TouchDevice %d: %v", i, err)
		}
		fresh[i] = isNew
	})
	n := 0
	for _, f := range fresh {
		if f {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d of %d concurrent first sign-ins from one device saw it as new, want exactly 1 (one new-device email)", n, concurrency)
	}
	devices, err := s.ListDevices(ctx, "u1")
	wantOK(t, err, "ListDevices")
	if len(devices) != 1 {
		t.Fatalf("%d device records for one device", len(devices))
	}
}
