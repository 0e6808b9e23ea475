package obs

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookq/hookq/internal/loopback"
)

// ReadyFunc reports whether the process can do its work now; warnings are
// conditions that do not stop it but an operator must see (a Redis that
// could lose acknowledged events).
type ReadyFunc func(ctx context.Context) (warnings []string, err error)

// NewAdmin returns the admin listener's handler: /healthz (alive),
// /readyz (ready() within 2s), /metrics (gatherer), and the dashboard at
// its path when dashboard is non-nil. With loopbackHost (a listener bound
// to loopback) every endpoint refuses a Host that is not loopback, as the
// dashboard does: a DNS-rebinding page could otherwise read them. Every
// response forbids framing and MIME sniffing.
func NewAdmin(ready ReadyFunc, gatherer prometheus.Gatherer, dashboardPath string, dashboard http.Handler, loopbackHost bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		warnings, err := ready(ctx)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "error": err.Error()})
			return
		}
		body := map[string]any{"status": "ready"}
		if len(warnings) > 0 {
			body["warnings"] = warnings
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	if dashboard != nil {
		mux.Handle(dashboardPath, dashboard)
	}
	return browserGuard(mux, loopbackHost)
}

// browserGuard sets the headers that keep a logged-in operator's browser
// from being turned against the admin listener (clickjacking, sniffing),
// and applies the loopback Host policy when asked.
func browserGuard(next http.Handler, loopbackHost bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		if loopbackHost && !loopback.Host(r.Host) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "forbidden_host"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// DashboardOptions configure the Asynqmon mount.
type DashboardOptions struct {
	Path      string // mount path with trailing slash, e.g. /monitoring/
	Redis     asynq.RedisConnOpt
	Username  string
	Password  string // empty: no authentication (allowed only on loopback; the caller decides)
	ReadOnly  bool
	Formatter asynqmon.PayloadFormatter
	// Prometheus is the address of a Prometheus scraping the queue series,
	// for Asynqmon's charts; empty = no charts.
	Prometheus string
}

// Dashboard returns Asynqmon behind HTTP Basic auth (when a password is
// set) and a same-origin guard, and a function closing its Redis pools.
func Dashboard(o DashboardOptions) (http.Handler, func() error) {
	h := asynqmon.New(asynqmon.Options{RootPath: o.Path, RedisConnOpt: o.Redis, ReadOnly: o.ReadOnly,
		PayloadFormatter: o.Formatter, PrometheusAddress: o.Prometheus})
	if o.Password == "" {
		return SameOrigin(h, true), h.Close
	}
	return SameOrigin(BasicAuth(o.Username, o.Password, "hookq dashboard", h), false), h.Close
}

// SameOrigin refuses what another web site could make an operator's browser
// do: Asynqmon's actions are bodiless POSTs and DELETEs, and a browser
// attaches cached Basic credentials to cross-site requests. With
// loopbackHost (a dashboard served without a password) it also refuses a
// Host that is not loopback, which is what DNS rebinding would send.
func SameOrigin(next http.Handler, loopbackHost bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if loopbackHost && !loopback.Host(r.Host) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "forbidden_host"})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
			site := r.Header.Get("Sec-Fetch-Site")
			crossSite := site != "" && site != "same-origin" && site != "none"
			if o := r.Header.Get("Origin"); o != "" {
				if u, err := url.Parse(o); err != nil || u.Host != r.Host {
					crossSite = true
				}
			}
			if crossSite {
				writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross_origin_request"})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// BasicAuth guards next with HTTP Basic credentials compared in constant
// time (over hashes, so the length of the secret does not leak either).
func BasicAuth(user, pass, realm string, next http.Handler) http.Handler {
	wantU, wantP := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotU, gotP := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
		if !ok || subtle.ConstantTimeCompare(gotU[:], wantU[:])&subtle.ConstantTimeCompare(gotP[:], wantP[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
