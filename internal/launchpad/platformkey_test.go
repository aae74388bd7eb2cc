package launchpad

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckPlatformKey(t *testing.T) {
	const old, cur, other, third = "aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "dddddddddddd"
	cases := []struct {
		name              string
		keys              PlatformKeys
		current, previous string
		ok                bool
		says              string
	}{
		{"a fresh store takes any key", PlatformKeys{}, cur, "", true, ""},
		{"the active key", PlatformKeys{Active: cur}, cur, "", true, ""},
		{"the active key with a previous one set", PlatformKeys{Active: cur}, cur, old, true, ""},
		{"another secret", PlatformKeys{Active: cur}, other, "", false, "PLATFORM_SECRET derives key id cccccccccccc, but the store's credentials are sealed under key id bbbbbbbbbbbb"},
		{"a rotation starting", PlatformKeys{Active: old}, cur, old, true, ""},
		{"a rotation under way", PlatformKeys{Active: old, Next: cur}, cur, old, true, ""},
		{"the old key during a rotation", PlatformKeys{Active: old, Next: cur}, old, "", true, ""},
		{"a second rotation at once", PlatformKeys{Active: old, Next: cur}, other, old, false, "already under way"},
		{"the new key without the old one", PlatformKeys{Active: old, Next: cur}, cur, "", false, "PLATFORM_SECRET_PREVIOUS"},
		{"a retired key", PlatformKeys{Active: cur, Retired: []string{old}}, old, "", false, "retired"},
		{"a retired key posing as a rotation", PlatformKeys{Active: cur, Retired: []string{old}}, old, cur, false, "retired"},
		{"a secret the store never saw, with the right previous", PlatformKeys{Active: cur, Retired: []string{old}}, third, cur, true, ""},
	}
	for _, c := range cases {
		err := CheckPlatformKey(&c.keys, c.current, c.previous)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !c.ok && (ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), c.says)):
			t.Errorf("%s: err = %v, want EINVALID saying %q", c.name, err, c.says)
		case !c.ok && !strings.Contains(ErrorMessage(err), "PLATFORM_SECRET"):
			t.Errorf("%s: %v does not name PLATFORM_SECRET", c.name, err)
		}
	}
}

func TestClaimAndCompleteRotation(t *testing.T) {
	const old, cur = "aaaaaaaaaaaa", "bbbbbbbbbbbb"
	var k PlatformKeys
	if !ClaimPlatformKey(&k, old, "") || k.Active != old {
		t.Fatalf("first claim: %+v", k)
	}
	if ClaimPlatformKey(&k, old, "") {
		t.Errorf("claiming the active key again changed %+v", k)
	}
	if !ClaimPlatformKey(&k, cur, old) || k.Next != cur || k.Active != old {
		t.Fatalf("a rotation's first seal: %+v, want Next %s", k, cur)
	}
	if !CompleteRotation(&k, cur) || k.Active != cur || k.Next != "" || !slices.Equal(k.Retired, []string{old}) {
		t.Fatalf("after the rotation: %+v", k)
	}
	if CompleteRotation(&k, cur) {
		t.Errorf("completing twice changed %+v", k)
	}
	if err := CheckPlatformKey(&k, old, ""); err == nil {
		t.Errorf("the retired key may still seal")
	}
}
