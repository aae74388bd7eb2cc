package sim

import (
	"fmt"
	"net/http"
	"net/netip"
)

// Simulated addresses come from ranges reserved for documentation and benchmarking, so a
// simulated address can never be mistaken for, or route to, a real host:
//   - dedicated IPv4: 198.18.0.0/15 (RFC 2544, benchmarking), one fresh address per
//     assignment, never reused;
//   - shared IPv4: 203.0.113.10 (RFC 5737), the one address every shared_v4 app gets, as
//     Fly's shared anycast address is shared;
//   - public IPv6: 2001:db8:1::/48 (RFC 3849), one fresh address per assignment;
//   - private (Flycast) IPv6: fdaa:0:<network>:…, the fdaa: prefix fly-go's IsFlycast
//     recognises.
const sharedIPv4 = "203.0.113.10"

var dedicatedIPv4Base = netip.MustParseAddr("198.18.0.0")

// ipJSON is an IP assignment as flaps decodes it.
type ipJSON struct {
	IP          string `json:"ip"`
	Region      string `json:"region"`
	ServiceName string `json:"service_name"`
	Shared      bool   `json:"shared"`
	CreatedAt   string `json:"created_at"`
}

func (ip *flyIP) json() ipJSON {
	return ipJSON{IP: ip.Address, Region: ip.Region, ServiceName: ip.ServiceName, Shared: ip.Shared, CreatedAt: rfc3339(ip.CreatedAt)}
}

// assignIP: POST /v1/apps/{app}/ip_assignments {"type","region","org_slug","network",
// "service_name"}. type is v4 (dedicated), shared_v4, v6 or private_v6. Dedicated and v6
// addresses are unique across the whole simulator.
func (f *Fly) assignIP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Type        string `json:"type"`
		Region      string `json:"region"`
		OrgSlug     string `json:"org_slug"`
		Network     string `json:"network"`
		ServiceName string `json:"service_name"`
	}
	if !decodeOr(w, r, &req, false, writeFlyError) {
		return
	}
	f.withApp(w, r, func(a *flyApp) {
		ip := &flyIP{Type: req.Type, Region: req.Region, ServiceName: req.ServiceName, Network: req.Network, CreatedAt: f.clock.Now().UTC()}
		if ip.Region == "" {
			ip.Region = "global"
		}
		switch req.Type {
		case ipTypeV4:
			addr, err := f.nextIPv4Locked()
			if err != nil {
				writeFlyErr(w, err)
				return
			}
			ip.Address = addr
		case ipTypeSharedV4:
			for _, have := range a.IPs {
				if have.Type == ipTypeSharedV4 {
					writeJSON(w, http.StatusOK, have.json()) // an app has one shared address
					return
				}
			}
			ip.Address, ip.Shared = sharedIPv4, true
		case ipTypeV6:
			f.st.NextIPv6++
			ip.Address = canonicalIP(fmt.Sprintf("2001:db8:1:%x:%x:%x:%x:1", (f.st.NextIPv6>>48)&0xffff, (f.st.NextIPv6>>32)&0xffff, (f.st.NextIPv6>>16)&0xffff, f.st.NextIPv6&0xffff))
		case ipTypePrivateV6:
			network := req.Network
			if network == "" {
				network = "default" // as on Fly: an empty network is the org's default one
			}
			f.st.NextPrivateNum++
			ip.Network = network
			ip.Address = canonicalIP(fmt.Sprintf("fdaa:0:%x:0:1::%x", f.networkNumLocked(a.Org, network), f.st.NextPrivateNum))
		default:
			writeFlyError(w, http.StatusBadRequest, fmt.Sprintf("invalid ip type %q: use v4, shared_v4, v6 or private_v6", req.Type))
			return
		}
		a.IPs = append(a.IPs, ip)
		writeJSON(w, http.StatusOK, ip.json())
	})
}

// nextIPv4Locked hands out the next address of 198.18.0.0/15, skipping .0 and .255.
func (f *Fly) nextIPv4Locked() (string, error) {
	for {
		f.st.NextIPv4++
		if f.st.NextIPv4 >= 1<<17 {
			return "", flyErrorf(http.StatusUnprocessableEntity, "the simulator has no dedicated IPv4 addresses left (198.18.0.0/15 is used up)")
		}
		if last := f.st.NextIPv4 & 0xff; last == 0 || last == 0xff {
			continue
		}
		b := dedicatedIPv4Base.As4()
		n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		n += f.st.NextIPv4
		return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}).String(), nil
	}
}

// networkNumLocked numbers each (org, network) pair, for 6PN-style private addresses.
func (f *Fly) networkNumLocked(org, network string) int64 {
	key := org + "/" + network
	n, ok := f.st.Networks[key]
	if !ok {
		n = int64(len(f.st.Networks) + 1)
		f.st.Networks[key] = n
	}
	return n
}

// canonicalIP spells an address the one way netip does, so lookups compare equal.
func canonicalIP(s string) string { return netip.MustParseAddr(s).String() }

// listIPs: GET /v1/apps/{app}/ip_assignments → {"ips": […]}.
func (f *Fly) listIPs(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *flyApp) {
		out := make([]ipJSON, 0, len(a.IPs))
		for _, ip := range a.IPs {
			out = append(out, ip.json())
		}
		writeJSON(w, http.StatusOK, map[string]any{"ips": out})
	})
}

// deleteIP: DELETE /v1/apps/{app}/ip_assignments/{ip} → 204; an address the app does not
// hold is a 404.
func (f *Fly) deleteIP(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *flyApp) {
		want := r.PathValue("ip")
		if p, err := netip.ParseAddr(want); err == nil {
			want = p.String() // accept any spelling of the same IPv6 address
		}
		for i, ip := range a.IPs {
			if ip.Address == want {
				a.IPs = append(a.IPs[:i], a.IPs[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		writeFlyError(w, http.StatusNotFound, "ip assignment not found")
	})
}
