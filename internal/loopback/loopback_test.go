package loopback

import "testing"

func TestHost(t *testing.T) {
	for hostport, want := range map[string]bool{
		"127.0.0.1:9090": true, "localhost:1": true, "[::1]:9": true,
		"127.0.0.1": true, "localhost": true, "[::1]": true, "::1": true,
		":9090": false, "0.0.0.0:1": false, "10.0.0.1:1": false, "example.com": false, "": false,
	} {
		if got := Host(hostport); got != want {
			t.Errorf("Host(%q) = %v, want %v", hostport, got, want)
		}
	}
}
