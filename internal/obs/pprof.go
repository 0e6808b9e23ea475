package obs

import (
	"net/http"
	"net/http/pprof"
	"runtime"
	"strings"
)

// WithPprof serves Go's profiler under /debug/pprof/ next to h. It is off
// unless configured: profiles reveal code paths and cost CPU while taken, so
// it belongs on the admin listener only, like the metrics.
// It also samples blocking and lock contention (1 in 100 events), so the
// block and mutex profiles have data. The profiler sits behind the same
// browser guard as NewAdmin's endpoints (loopbackHost as there).
func WithPprof(h http.Handler, loopbackHost bool) http.Handler {
	runtime.SetBlockProfileRate(10_000) // a sample per 10 µs blocked
	runtime.SetMutexProfileFraction(100)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	guarded := browserGuard(mux, loopbackHost)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/debug/pprof/") {
			guarded.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
