package metering

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// mailCapReached tells the user their machine was stopped at the hour cap. It is sent once,
// by the pass that reached the cap; a failure is logged, not retried (the audit panel and
// GET /api/me show the cap either way).
func (m *Meter) mailCapReached(ctx context.Context, log *slog.Logger, u *launchpad.User, t *launchpad.Tenant, plan *launchpad.Plan) {
	if m.d.Mailer == nil || u.Email == "" {
		return
	}
	if err := m.d.Mailer.Send(ctx, capReachedMessage(u, t, plan, m.d.DashboardURL)); err != nil {
		log.Error("hour-cap email not sent", "error", err.Error())
	}
}

func capReachedMessage(u *launchpad.User, t *launchpad.Tenant, plan *launchpad.Plan, dashboard string) launchpad.Message {
	name := plan.DisplayName
	if name == "" {
		name = plan.Name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\n")
	if plan.MachineHoursPerCycle == 0 {
		fmt.Fprintf(&b, "Your plan %q includes no machine hours, so your agent's machine (%s) has been stopped.\n", name, t.AppName)
	} else {
		fmt.Fprintf(&b, "Your agent's machine (%s) has run %.1f hours in this billing cycle, the %d machine hours your plan %q includes, so it has been stopped.\n",
			t.AppName, u.Usage.Hours(), plan.MachineHoursPerCycle, name)
	}
	fmt.Fprintf(&b, "\nIt starts again by itself when your next billing cycle begins, on %s (UTC). To run it before then, move to a plan with more machine hours.\n",
		u.Usage.CycleEnd.UTC().Format("2 January 2006 15:04"))
	fmt.Fprintf(&b, "Your workspace volume is kept as it is; nothing on it is lost.\n")
	if dashboard != "" {
		fmt.Fprintf(&b, "\nYour usage: %s\n", dashboard)
	}
	fmt.Fprintf(&b, "\n— Launchpad\n")
	return launchpad.Message{To: u.Email, Subject: "Your Launchpad machine was stopped: this cycle's machine hours are used", Text: b.String()}
}
