package obs

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ReadyFunc reports whether the process can do its work now; warnings are
// conditions that do not stop it but an operator must see (a Redis that
// could lose acknowledged events).
type ReadyFunc func(ctx context.Context) (warnings []string, err error)

// NewAdmin returns the admin listener's handler: /healthz (alive),
// /readyz (ready() within 2s), /metrics (gatherer), and the dashboard at
// its path when dashboard is non-nil.
func NewAdmin(ready ReadyFunc, gatherer prometheus.Gatherer, dashboardPath string, dashboard http.Handler) http.Handler {
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
	return mux
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
// set) and a function closing its Redis pools.
func Dashboard(o DashboardOptions) (http.Handler, func() error) {
	h := asynqmon.New(asynqmon.Options{RootPath: o.Path, RedisConnOpt: o.Redis, ReadOnly: o.ReadOnly,
		PayloadFormatter: o.Formatter, PrometheusAddress: o.Prometheus})
	if o.Password == "" {
		return h, h.Close
	}
	return BasicAuth(o.Username, o.Password, "hookq dashboard", h), h.Close
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
