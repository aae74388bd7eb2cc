package fly

import (
	"context"
	"fmt"
	"strings"

	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// privateV6 is the type reported for a private (Flycast) IPv6 address: launchpad only asks for
// public ones, but ListIPs shows whatever the app has.
const privateV6 = "private_v6"

// AllocateIP assigns an address through Fly's IP assignments: a dedicated IPv4 (Type v4), a
// shared IPv4 (v4 with Shared), or an IPv6 (v6). An address has no name, so the addresses of
// the app are noted before the request; after an ambiguous failure an address of the asked
// kind that is not among them is the one this call assigned.
func (c *Client) AllocateIP(ctx context.Context, app string, s launchpad.IPSpec) (*launchpad.IPAddress, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	kind, err := assignmentType(s)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "allocating an IP for app %s: %s", app, launchpad.ErrorMessage(err))
	}
	op := fmt.Sprintf("allocating a %s address for app %s", describeIPKind(kind), app)
	req := flaps.AssignIPRequest{Type: kind, Region: s.Region}
	if kind == "shared_v4" {
		req.Region = "" // shared addresses are global; Fly refuses a region for them
	}
	assigned, err := createOnce(ctx, c, op, func(ctx context.Context) ([]*flaps.IPAssignment, error) {
		ips, err := c.listIPs(ctx, app, op)
		return addrs(ips), err
	}, func(ip *flaps.IPAssignment) string { return ip.IP }, func(ip *flaps.IPAssignment) bool {
		return ipType(ip.IP) == s.Type && ip.Shared == s.Shared
	}, func(ctx context.Context) (*flaps.IPAssignment, error) { return c.flaps.AssignIP(ctx, app, req) })
	if err != nil {
		return nil, err
	}
	out := toIP(assigned)
	if out.Type == "" {
		out.Type = s.Type
	}
	return out, nil
}

// ListIPs returns the app's addresses.
func (c *Client) ListIPs(ctx context.Context, app string) ([]*launchpad.IPAddress, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	ips, err := c.listIPs(ctx, app, "listing IP addresses of app "+app)
	if err != nil {
		return nil, err
	}
	out := make([]*launchpad.IPAddress, 0, len(ips))
	for i := range ips {
		out = append(out, toIP(&ips[i]))
	}
	return out, nil
}

func (c *Client) listIPs(ctx context.Context, app, op string) ([]flaps.IPAssignment, error) {
	res, err := read(ctx, c, op, func(ctx context.Context) (*flaps.ListIPAssignmentsResponse, error) {
		return c.flaps.GetIPAssignments(ctx, app)
	})
	if err != nil || res == nil {
		return nil, err
	}
	return res.IPs, nil
}

// ReleaseIP removes an address from the app. A missing address is ENOTFOUND (done).
func (c *Client) ReleaseIP(ctx context.Context, app, address string) error {
	if err := requiredIn(app, "IP address", address); err != nil {
		return err
	}
	return c.call(ctx, fmt.Sprintf("releasing IP %s of app %s", address, app), callOptions{}, func(ctx context.Context) error {
		return c.flaps.DeleteIPAssignment(ctx, app, address)
	})
}

// assignmentType maps an IPSpec to the type the IP assignments API takes.
func assignmentType(s launchpad.IPSpec) (string, error) {
	switch {
	case s.Type == launchpad.IPv4 && s.Shared:
		return "shared_v4", nil
	case s.Type == launchpad.IPv4:
		return "v4", nil
	case s.Type == launchpad.IPv6 && s.Shared:
		return "", launchpad.Errorf(launchpad.EINVALID, "an IPv6 address cannot be shared; ask for type %q without shared", launchpad.IPv6)
	case s.Type == launchpad.IPv6:
		return "v6", nil
	default:
		return "", launchpad.Errorf(launchpad.EINVALID, "IP type %q is not known; use %q or %q", s.Type, launchpad.IPv4, launchpad.IPv6)
	}
}

func describeIPKind(kind string) string {
	switch kind {
	case "shared_v4":
		return "shared IPv4"
	case "v4":
		return "dedicated IPv4"
	default:
		return "IPv6"
	}
}

// ipType tells the family of an address: the list answer carries no type.
func ipType(addr string) string {
	switch {
	case strings.HasPrefix(strings.ToLower(addr), "fdaa:"):
		return privateV6
	case strings.Contains(addr, ":"):
		return launchpad.IPv6
	default:
		return launchpad.IPv4
	}
}

func toIP(ip *flaps.IPAssignment) *launchpad.IPAddress {
	return &launchpad.IPAddress{Address: ip.IP, Type: ipType(ip.IP), Shared: ip.Shared, Region: ip.Region}
}
