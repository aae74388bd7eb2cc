package launchpad

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AppNameRule is the tenant app naming rule, quoted in every error about it.
const AppNameRule = "lp-{product}-{uid8}-{ts}: product is 1-20 of [a-z0-9] starting with a letter, " +
	"uid8 is the first 8 characters of the user id lower-cased and reduced to [a-z0-9], " +
	"ts is the creation time in base-36 seconds; at most 63 characters in all"

// MaxAppNameLength is the longest name that is both a Fly app name and a DNS label.
const MaxAppNameLength = 63

var (
	productPattern = regexp.MustCompile(`^[a-z][a-z0-9]{0,19}$`)
	appNamePattern = regexp.MustCompile(`^lp-([a-z][a-z0-9]{0,19})-([a-z0-9]{1,8})-([a-z0-9]{1,13})$`)
	dnsLabel       = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
)

// ValidateProduct reports whether product can appear in a tenant app name.
func ValidateProduct(product string) error {
	if !productPattern.MatchString(product) {
		return Errorf(EINVALID, "product %q is not valid: use 1-20 lower-case letters and digits, starting with a letter (for example \"hermes\")", product)
	}
	return nil
}

// UID8 reduces a user id to the part that goes into an app name: its first 8 characters,
// lower-cased, with everything outside [a-z0-9] dropped. It fails when nothing is left.
func UID8(userID string) (string, error) {
	head := userID
	if r := []rune(head); len(r) > 8 {
		head = string(r[:8])
	}
	var b strings.Builder
	for _, c := range strings.ToLower(head) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "", Errorf(EINVALID, "user id %q has no letter or digit in its first 8 characters, so no app name can be made from it (%s)", Clip(userID, 40), AppNameRule)
	}
	return b.String(), nil
}

// AppName returns the Fly app name of a tenant: lp-{product}-{uid8}-{ts}.
func AppName(product, userID string, created time.Time) (string, error) {
	if err := ValidateProduct(product); err != nil {
		return "", err
	}
	uid8, err := UID8(userID)
	if err != nil {
		return "", err
	}
	if created.Unix() <= 0 {
		return "", Errorf(EINVALID, "creation time %s is before 1970; an app name needs a positive timestamp", created.UTC().Format(time.RFC3339))
	}
	name := "lp-" + product + "-" + uid8 + "-" + strconv.FormatInt(created.Unix(), 36)
	return name, ValidateAppName(name)
}

// AppNameParts are the pieces of a tenant app name.
type AppNameParts struct {
	Product string
	UID8    string
	Created time.Time
}

// ParseAppName checks name against AppNameRule and returns its parts. The error names the
// rule and what is wrong, so it can be shown as it is (for example on `terraform import`).
func ParseAppName(name string) (AppNameParts, error) {
	if err := ValidateAppName(name); err != nil {
		return AppNameParts{}, err
	}
	m := appNamePattern.FindStringSubmatch(name)
	if m == nil {
		return AppNameParts{}, Errorf(EINVALID, "app name %q does not follow the tenant rule %s", Clip(name, 80), AppNameRule)
	}
	secs, err := strconv.ParseInt(m[3], 36, 64)
	if err != nil || secs <= 0 || strconv.FormatInt(secs, 36) != m[3] {
		return AppNameParts{}, Errorf(EINVALID, "app name %q ends in %q, which is not a base-36 timestamp (%s)", name, m[3], AppNameRule)
	}
	return AppNameParts{Product: m[1], UID8: m[2], Created: time.Unix(secs, 0).UTC()}, nil
}

// ValidateAppName reports whether name is a tenant app name: it follows AppNameRule and is a
// valid Fly app name and DNS label (lower-case letters, digits and dashes, starting with a
// letter, not ending with a dash, at most 63 characters).
func ValidateAppName(name string) error {
	switch {
	case name == "":
		return Errorf(EINVALID, "app name is empty; expected %s", AppNameRule)
	case len(name) > MaxAppNameLength:
		return Errorf(EINVALID, "app name %q is %d characters; a Fly app name and DNS label has at most %d (%s)", Clip(name, 80), len(name), MaxAppNameLength, AppNameRule)
	case !dnsLabel.MatchString(name):
		return Errorf(EINVALID, "app name %q is not a DNS label: use lower-case letters, digits and dashes, start with a letter and end with a letter or digit (%s)", Clip(name, 80), AppNameRule)
	case !appNamePattern.MatchString(name):
		return Errorf(EINVALID, "app name %q does not follow the tenant rule %s", Clip(name, 80), AppNameRule)
	}
	return nil
}
