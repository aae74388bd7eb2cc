package envelope_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/envelope"
)

func TestDerive(t *testing.T) {
	a := mustKeyring(t, secretA, "")
	signing, code := a.Derive("session-signing"), a.Derive("signin-code")
	if len(signing) != 1 || len(code) != 1 {
		t.Fatalf("without a previous secret Derive returns one key, got %d and %d", len(signing), len(code))
	}
	for _, d := range append(signing, code...) {
		if len(d.Key) != envelope.DerivedKeyLength || d.ID != a.CurrentKeyID() {
			t.Fatalf("derived key: %d bytes, id %s; want %d bytes, id %s", len(d.Key), d.ID, envelope.DerivedKeyLength, a.CurrentKeyID())
		}
	}

	t.Run("purposes give different keys", func(t *testing.T) {
		seen := map[string]string{}
		for _, purpose := range []string{"session-signing", "signin-code", "signin-code ", "Session-signing", "x", "session-signing/v2"} {
			key := string(a.Derive(purpose)[0].Key)
			if other, ok := seen[key]; ok {
				t.Fatalf("purposes %q and %q derive the same key", purpose, other)
			}
			seen[key] = purpose
		}
	})

	t.Run("no purpose gives the sealing key", func(t *testing.T) {
		sealing := envelope.SealingKeyOf(secretA)
		for _, purpose := range []string{"session-signing", "signin-code", "aes-256-gcm", "../envelope/v1/aes-256-gcm", "key-id"} {
			if bytes.Equal(a.Derive(purpose)[0].Key, sealing) {
				t.Fatalf("Derive(%q) returned the sealing key", purpose)
			}
		}
	})

	t.Run("stable across keyrings of the same secret", func(t *testing.T) {
		again := mustKeyring(t, secretA, secretC).Derive("session-signing")[0]
		if !bytes.Equal(again.Key, signing[0].Key) || again.ID != signing[0].ID {
			t.Fatal("the same secret and purpose derived a different key in another keyring")
		}
		if bytes.Equal(mustKeyring(t, secretB, "").Derive("session-signing")[0].Key, signing[0].Key) {
			t.Fatal("two secrets derived the same key")
		}
	})

	t.Run("previous included when configured, current first", func(t *testing.T) {
		rotated := mustKeyring(t, secretB, secretA).Derive("session-signing")
		if len(rotated) != 2 {
			t.Fatalf("Derive with a previous secret returned %d keys, want 2", len(rotated))
		}
		cur := mustKeyring(t, secretB, "").Derive("session-signing")[0]
		if !bytes.Equal(rotated[0].Key, cur.Key) || rotated[0].ID != cur.ID {
			t.Fatal("the first derived key is not the current secret's")
		}
		if !bytes.Equal(rotated[1].Key, signing[0].Key) || rotated[1].ID != a.CurrentKeyID() {
			t.Fatal("the second derived key is not the previous secret's")
		}
	})

	t.Run("callers get their own copies", func(t *testing.T) {
		first := a.Derive("session-signing")[0]
		want := bytes.Clone(first.Key)
		clear(first.Key)
		if !bytes.Equal(a.Derive("session-signing")[0].Key, want) {
			t.Fatal("changing a returned key changed the next Derive")
		}
	})
}

func TestDeriveWithoutPurposePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "purpose") {
			t.Fatalf("recovered %v, want a panic about the missing purpose", r)
		}
	}()
	mustKeyring(t, secretA, "").Derive("")
}
