// Package loopback says whether an address names this machine only. config
// asks it of the admin listener's address, obs of a request's Host on that
// listener: one answer for both, so the two cannot drift apart.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether hostport ("127.0.0.1:9090", "[::1]", "localhost")
// names a loopback host: localhost or a loopback IP, with or without a
// port. An empty host (":9090", every interface) is not loopback.
func Host(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
