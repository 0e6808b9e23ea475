package obs

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
