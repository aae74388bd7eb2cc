package smtp

import (
	"net/mail"
	"strings"
	"unicode"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// maxSubjectLen keeps subjects to one readable line; longer ones are a bug upstream.
const maxSubjectLen = 200

// checkMessage refuses what could break out of a header field. The message names the field
// but never echoes its value: it may be attacker-controlled.
func checkMessage(m launchpad.Message) error {
	if err := checkAddress("recipient", m.To); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		return launchpad.Errorf(launchpad.EINVALID, "mail subject is empty")
	case hasControl(m.Subject):
		return launchpad.Errorf(launchpad.EINVALID, "mail subject contains a line break or control character; header injection refused")
	case len(m.Subject) > maxSubjectLen:
		return launchpad.Errorf(launchpad.EINVALID, "mail subject is longer than %d bytes", maxSubjectLen)
	}
	return nil
}

// checkAddress accepts one plain address (no display name): what NormalizeEmail produces.
func checkAddress(what, addr string) error {
	if hasControl(addr) {
		return launchpad.Errorf(launchpad.EINVALID, "mail %s contains a line break or control character; header injection refused", what)
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr {
		return launchpad.Errorf(launchpad.EINVALID, "mail %s is not a plain address like name@example.com", what)
	}
	return nil
}

// checkFrom accepts a From setting with or without a display name ("Launchpad <a@b.c>").
func checkFrom(from string) (*mail.Address, error) {
	if hasControl(from) {
		return nil, launchpad.Errorf(launchpad.EINVALID, "mail sender contains a line break or control character")
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "mail sender %q is not an address; use name@example.com or \"Name <name@example.com>\"", from)
	}
	return a, nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}
