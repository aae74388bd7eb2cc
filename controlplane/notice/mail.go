package notice

import (
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Mail is the email for n, sent to address to: its title as the subject, its words, its
// deadline and its action, as the overview shows them. dashboard is the dashboard's address
// (with its trailing slash), which relative actions are resolved against; without one they
// are left out.
func Mail(to string, n Notice, dashboard string) launchpad.Message {
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	b.WriteString(n.Text)
	b.WriteString("\n")
	if n.Deadline != nil {
		b.WriteString("\n" + n.DeadlineLabel + ": " + When(*n.Deadline) + "\n")
	}
	if href := actionURL(n.Action.Href, dashboard); href != "" {
		b.WriteString("\n" + n.Action.Label + ": " + href + "\n")
	}
	b.WriteString("\n— Launchpad\n")
	return launchpad.Message{To: to, Subject: "Launchpad: " + n.Title, Text: b.String()}
}

// actionURL makes a dashboard-relative action absolute; absolute ones are kept.
func actionURL(href, dashboard string) string {
	switch {
	case strings.HasPrefix(href, "https://"):
		return href
	case !strings.HasPrefix(dashboard, "http://") && !strings.HasPrefix(dashboard, "https://"):
		return "" // no public address configured: nothing to link
	}
	return strings.TrimSuffix(dashboard, "/") + href
}
