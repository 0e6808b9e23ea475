package ingest

import (
	"net/http"
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
	// Format is how bodies are read (verify.FormatJSON or FormatForm): a
	// property of the source, never of the request's Content-Type.
	Format string
	// SignatureHeaders: a request carrying none of them is refused before
	// its body is read. Empty when the signature travels in the body.
	SignatureHeaders []string
	DedupeTTL        time.Duration
	Routes           []Route
}

// Route sends events whose type matches one of Events (globs; empty = all)
// to a handler as its own task.
type Route struct {
	Events []string
	Task   webhook.Task
	// PassHeaders are request headers kept in this route's task only
	// (pass_headers): a token meant for one destination reaches no other.
	PassHeaders []string
}

// tasksFor returns one task per route matching eventType, each carrying the
// values of its own route's PassHeaders from h.
func (s *Source) tasksFor(eventType string, h http.Header) []webhook.Task {
	var out []webhook.Task
	for _, r := range s.Routes {
		if matchAny(r.Events, eventType) {
			t := r.Task
			t.Headers = keepHeaders(h, r.PassHeaders)
			out = append(out, t)
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
