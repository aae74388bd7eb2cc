package ratelimit

import "net/netip"

// ipv6NetworkBits is the prefix an IPv6 client is limited by. A /64 is the smallest network
// an ISP hands out, and one host picks any of its 2^64 addresses at will (privacy
// addresses), so a limit per IPv6 address limits nothing.
const ipv6NetworkBits = 64

// NetworkKey is the per-IP limits' key for the client address ip: an IPv4 address as it is,
// an IPv6 address as its /64 ("2001:db8:1:2::/64"). An IPv4-mapped IPv6 address
// ("::ffff:192.0.2.1") counts as its IPv4 address. Anything that is not an address (a Unix
// socket peer, say) is its own key.
func NetworkKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(ipv6NetworkBits)
	if err != nil {
		return ip
	}
	return p.String()
}
