package main

import (
	"testing"
	"time"

	"github.com/hookq/hookq/internal/worker"
)

func TestDelayedCheckInterval(t *testing.T) {
	tests := []struct {
		name  string
		bases []time.Duration
		want  time.Duration
	}{
		{"Default5s", []time.Duration{5 * time.Second}, 250 * time.Millisecond},
		{"Shortest", []time.Duration{time.Minute, 2 * time.Second}, 100 * time.Millisecond},
		{"Floor", []time.Duration{100 * time.Millisecond}, 100 * time.Millisecond},
		{"LongBackoffsKeepAsynqDefault", []time.Duration{2 * time.Minute}, 5 * time.Second},
		{"NoRoutes", nil, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var routes []worker.Route
			for _, b := range tt.bases {
				routes = append(routes, worker.Route{Backoff: worker.Backoff{Base: b, Max: time.Hour}})
			}
			if got := delayedCheckInterval(routes); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// A bounded route's deferrals come back after worker.MinDefer: due
// retries are checked often enough for that, whatever the backoff.
func TestDelayedCheckIntervalBoundedRoute(t *testing.T) {
	routes := []worker.Route{{Backoff: worker.Backoff{Base: 2 * time.Minute, Max: time.Hour}, MaxInFlight: 2}}
	if got, want := delayedCheckInterval(routes), worker.MinDefer/10; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}
