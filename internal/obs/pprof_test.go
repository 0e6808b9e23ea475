package obs

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWithPprof(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("inner")) })
	get := func(h http.Handler, path string) (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = "127.0.0.1:9090"
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	h := WithPprof(inner, true)
	if code, body := get(h, "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("index: %d %.100s", code, body)
	}
	if code, body := get(h, "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("goroutine: %d %.100s", code, body)
	}
	if _, body := get(h, "/metrics"); body != "inner" {
		t.Fatalf("other paths must reach the admin handler, got %q", body)
	}
	// Off by default: the admin handler alone has no profiler.
	if code, _ := get(NewAdmin(nil, nil, "", nil, true), "/debug/pprof/"); code != 404 {
		t.Fatalf("admin without pprof answered %d", code)
	}
	// The same guard as every admin endpoint: a non-loopback Host (DNS
	// rebinding) gets no profile.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/debug/pprof/goroutine?debug=1", nil)
	req.Host = "evil.example"
	h.ServeHTTP(rec, req)
	if rec.Code == 200 {
		t.Fatalf("pprof served to Host %q", req.Host)
	}
}
