package launchpad

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Where and what a tenant machine runs: one rule each for the region and the image, used by
// the provider's validators, the control plane's apply requests and checkout overrides alike,
// so none of them accepts what another refuses.

var (
	regionPattern = regexp.MustCompile(`^[a-z]{3}$`)
	// A container image reference: registry/path:tag or @sha256:digest; no spaces, quotes,
	// braces or anything else a template language could read.
	imagePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[a-f0-9]{64})?$`)
)

// ValidateRegion reports whether region is a Fly region code: three lower-case letters, and
// one of FlyRegions.
func ValidateRegion(region string) error {
	if !regionPattern.MatchString(region) {
		return Errorf(EINVALID, "region %q is not a Fly region code: use three lower-case letters such as iad, ams or syd", Clip(region, 40))
	}
	if !IsFlyRegion(region) {
		return Errorf(EINVALID, "region %q is not one of Fly's regions (%s); pick one of those, e.g. iad, ams or syd", region, strings.Join(FlyRegions, ", "))
	}
	return nil
}

// ValidateImage reports whether image is a container image reference such as
// registry.fly.io/hermes-agent:1.4.2 (at most 512 characters).
func ValidateImage(image string) error {
	if len(image) > 512 || !utf8.ValidString(image) || !imagePattern.MatchString(image) {
		return Errorf(EINVALID, "image %q is not a container image reference: use lower-case registry/path:tag, e.g. registry.fly.io/hermes-agent:1.4.2", Clip(image, 80))
	}
	return nil
}
