package ingest

import (
	"time"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// Source is one configured webhook endpoint, POST /webhooks/{Name}.
type Source struct {
	Name      string
	Type      string // verifier type, recorded as the event's VerifiedBy
	Verifier  verify.Verifier
	EventID   verify.Field // zero: sha256 of the body
	EventType verify.Field
	DedupeTTL time.Duration
	// KeepHeaders are request headers carried with the event (pass_headers).
	KeepHeaders []string
	Routes      []Route
}

// Route sends events whose type matches one of Events (globs; empty = all)
// to a handler as its own task.
type Route struct {
	Events []string
	Task   webhook.Task
}

// tasksFor returns one task per route matching eventType.
func (s *Source) tasksFor(eventType string) []webhook.Task {
	var out []webhook.Task
	for _, r := range s.Routes {
		if matchAny(r.Events, eventType) {
			out = append(out, r.Task)
		}
	}
	return out
}

func matchAny(globs []string, s string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if webhook.MatchType(g, s) {
			return true
		}
	}
	return false
}
