package controlplane

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address rate limits and audit events use. It is the TCP peer, unless the
// peer is one of Config.TrustedProxies: then X-Forwarded-For is read from the right, skipping
// trusted proxies, and the first other address is the client. Without trusted proxies the
// header is ignored, because any client can write it.
func (s *Server) clientIP(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := peer.Addr().Unmap()
	if !s.trusted(addr) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing to its left
		}
		hop = hop.Unmap()
		if !s.trusted(hop) {
			return hop.String()
		}
		addr = hop
	}
	return addr.String()
}

// overHTTPS reports whether the client reached r over https: the public URL is https, the
// connection is TLS, or a trusted proxy (Config.TrustedProxies) says so in X-Forwarded-Proto.
// The header of any other peer is ignored, as X-Forwarded-For is.
func (s *Server) overHTTPS(r *http.Request) bool {
	if s.cfg.isHTTPS() || r.TLS != nil {
		return true
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !s.trusted(peer.Addr().Unmap()) {
		return false
	}
	// The last value is the one the nearest proxy, the trusted one, wrote.
	protos := strings.Split(strings.Join(r.Header.Values("X-Forwarded-Proto"), ","), ",")
	return strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https")
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
