package obs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestSameOrigin(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	for _, c := range []struct {
		name, method, host, origin, site string
		loopback                         bool
		want                             int
	}{
		{"GetAnywhere", "GET", "ops.example.com:9090", "https://evil.example", "cross-site", false, 204},
		{"SameOriginPost", "POST", "127.0.0.1:9090", "http://127.0.0.1:9090", "same-origin", false, 204},
		{"NoHeadersPost", "POST", "127.0.0.1:9090", "", "", false, 204}, // curl, hookqctl
		{"CrossSitePost", "POST", "127.0.0.1:9090", "https://evil.example", "cross-site", false, 403},
		{"CrossOriginDelete", "DELETE", "127.0.0.1:9090", "http://127.0.0.1:8080", "", false, 403},
		{"SameSiteOtherPort", "POST", "127.0.0.1:9090", "", "same-site", false, 403},
		{"RebindingHost", "GET", "evil.example:9090", "", "", true, 403},
		{"LoopbackHost", "GET", "localhost:9090", "", "", true, 204},
		{"IPv6LoopbackHost", "GET", "[::1]:9090", "", "", true, 204},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "http://"+c.host+"/monitoring/api/queues/webhooks:pause", nil)
			r.Host = c.host
			if c.origin != "" {
				r.Header.Set("Origin", c.origin)
			}
			if c.site != "" {
				r.Header.Set("Sec-Fetch-Site", c.site)
			}
			w := httptest.NewRecorder()
			SameOrigin(ok, c.loopback).ServeHTTP(w, r)
			if w.Code != c.want {
				t.Fatalf("status %d, want %d", w.Code, c.want)
			}
		})
	}
}

func TestBasicAuth(t *testing.T) {
	h := BasicAuth("ops", "pw", "x", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	for _, c := range []struct {
		user, pass string
		set        bool
		want       int
	}{{"", "", false, 401}, {"ops", "nope", true, 401}, {"op", "pw", true, 401}, {"ops", "pw", true, 204}} {
		r := httptest.NewRequest("GET", "/monitoring/", nil)
		if c.set {
			r.SetBasicAuth(c.user, c.pass)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want || (c.want == 401 && w.Header().Get("WWW-Authenticate") == "") {
			t.Fatalf("%q/%q: %d", c.user, c.pass, w.Code)
		}
	}
}

// Every admin endpoint follows the dashboard's Host policy and forbids
// framing and sniffing.
func TestAdminBrowserGuard(t *testing.T) {
	ready := func(context.Context) ([]string, error) { return nil, nil }
	dash := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) })
	for _, c := range []struct {
		name, path, host string
		loopback         bool
		want             int
	}{
		{"MetricsLoopback", "/metrics", "127.0.0.1:9090", true, 200},
		{"MetricsRebinding", "/metrics", "evil.example:9090", true, 403},
		{"ReadyzRebinding", "/readyz", "evil.example", true, 403},
		{"HealthzRebinding", "/healthz", "evil.example", true, 403},
		{"DashboardRebinding", "/monitoring/", "evil.example", true, 403},
		{"DashboardLocalhost", "/monitoring/", "localhost:9090", true, 200},
		{"PublicListenerAnyHost", "/metrics", "10.0.0.7:9090", false, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := NewAdmin(ready, prometheus.NewRegistry(), "/monitoring/", dash, c.loopback)
			r := httptest.NewRequest("GET", "http://"+c.host+c.path, nil)
			r.Host = c.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.want {
				t.Fatalf("status %d, want %d", w.Code, c.want)
			}
			for k, v := range map[string]string{"X-Frame-Options": "DENY",
				"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff"} {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
