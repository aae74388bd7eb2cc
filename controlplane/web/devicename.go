package web

import (
	"net/url"
	"strings"
)

// deviceName reads a user agent as a person names their device: "Firefox on Linux",
// "Safari on iOS (mobile)". An agent the parser does not know keeps a short, generic name
// (the raw string stays available beside it).
func (h *Handler) deviceName(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return "Unknown browser"
	}
	ua := h.agents.Parse(raw)
	browser, os := string(ua.Browser()), string(ua.OS())
	if ua.IsBot() {
		return "An automated client"
	}
	switch {
	case browser == "" && os == "":
		return "Unknown browser"
	case browser == "":
		browser = "A browser"
	}
	name := browser
	if v := ua.BrowserVersionMajor(); v != "" && browser != "A browser" {
		name += " " + v
	}
	if os != "" {
		name += " on " + os
	}
	if ua.IsMobile() {
		name += " (mobile)"
	} else if ua.IsTablet() {
		name += " (tablet)"
	}
	return name
}

// totpSecretText is the secret of an otpauth:// URL in groups of four, for an authenticator
// app that cannot scan; "" when the URL has none.
func totpSecretText(otpauth string) string {
	u, err := url.Parse(otpauth)
	if err != nil {
		return ""
	}
	secret := strings.ToUpper(u.Query().Get("secret"))
	var groups []string
	for len(secret) > 4 {
		groups = append(groups, secret[:4])
		secret = secret[4:]
	}
	if secret != "" {
		groups = append(groups, secret)
	}
	return strings.Join(groups, " ")
}
