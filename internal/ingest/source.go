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
		if Glob(g, s) {
			return true
		}
	}
	return false
}

// Glob reports whether s matches pattern, where * matches any run of
// characters (including / and .) and ? any one byte. Event types such as
// Shopify's "orders/create" make path.Match's rules the wrong ones.
func Glob(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
