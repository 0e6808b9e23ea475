package config

import (
	"time"

	"github.com/hookq/hookq/internal/webhook"
)

// The task policy of a route, in one place: every process that enqueues a
// route's tasks (ingest, reconciliation, hookqctl) and the worker that runs
// them read it from here.
const (
	// TaskMargin is added to a route's timeout to make its Asynq task
	// deadline: the handler's own timeout fires first, so the attempt ends
	// with the handler's error (recorded, retried) rather than Asynq's.
	TaskMargin = 5 * time.Second

	DefaultTimeout     = 10 * time.Second
	DefaultMaxRetries  = 8
	DefaultBackoffBase = 5 * time.Second
	DefaultBackoffMax  = time.Hour
)

// Task is the Asynq policy of r's tasks: retries and deadline. Callers add
// what is not the route's own (history retention, kept headers).
func (r Route) Task() webhook.Task {
	return webhook.Task{Route: r.Name, MaxRetry: *r.MaxRetries, Timeout: r.Timeout + TaskMargin}
}

// DefaultTask is the policy of a route that sets nothing: what a task of a
// route no longer in the config (a restored dead letter, say) runs with.
func DefaultTask(route string) webhook.Task {
	r := Route{Name: route}
	r.defaults()
	return r.Task()
}

func (r *Route) defaults() {
	if r.Timeout == 0 {
		r.Timeout = DefaultTimeout
	}
	if r.MaxRetries == nil {
		n := DefaultMaxRetries
		r.MaxRetries = &n
	}
	if r.Backoff.Base == 0 {
		r.Backoff.Base = DefaultBackoffBase
	}
	if r.Backoff.Max == 0 {
		r.Backoff.Max = DefaultBackoffMax
	}
}

func (r *Route) validateTask(key string, bad func(key, format string, args ...any)) {
	if r.Timeout < time.Second {
		bad(key+".timeout", "must be at least 1s")
	}
	if *r.MaxRetries < 0 || *r.MaxRetries > 100 {
		bad(key+".max_retries", "must be between 0 and 100")
	}
	if r.Backoff.Base <= 0 || r.Backoff.Max < r.Backoff.Base {
		bad(key+".backoff", "want 0 < base <= max")
	}
	if r.MaxInFlight < 0 || r.MaxInFlight > 100000 {
		bad(key+".max_in_flight", "must be between 0 (no bound) and 100000")
	}
}
