// Package clientaddr names a client's address the way every limit in
// civibot counts it: the IP, IPv4-mapped IPv6 as IPv4, and an IPv6
// address as its /64 network (one subscriber usually has a whole /64, so
// counting single IPv6 addresses would give one client 2^64 budgets).
package clientaddr

import (
	"net"
	"net/netip"
)

// Key returns the limit key of an address, with or without a port
// ("203.0.113.9:4711", "[2001:db8::1]:443", "2001:db8::1"). What is not an
// IP address is returned as given.
func Key(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
