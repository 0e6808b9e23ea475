package ingest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookq/hookq/internal/verify"
)

// FuzzExtract is not in make fuzz: a fuzz build of this package instruments
// all of its dependencies (Gin, OpenTelemetry, Asynq), which takes minutes;
// the parser it exercises, jsonpath, is fuzzed there. Run it with
// go test -run '^$' -fuzz FuzzExtract ./internal/ingest.
//
// FuzzExtract reads an id from any body, in either format, at any path: no
// panic, only printable values of bounded length, and for a one-key JSON
// path the value is the one encoding/json reads there (or is refused), so
// two parsers never see different ids.
func FuzzExtract(f *testing.F) {
	f.Add([]byte(`{"id":"a","ID":"b"}`), "id", false)
	f.Add([]byte(`{"event-data":{"id":"m1"}}`), "event-data.id", false)
	f.Add([]byte(`MessageSid=SM1&MessageSid=SM2`), "MessageSid", true)
	f.Add([]byte(`[{"event":"open"}]`), "0.event", false)
	f.Fuzz(func(t *testing.T, body []byte, path string, form bool) {
		format := verify.FormatJSON
		if form {
			format = verify.FormatForm
		}
		v, err := newPayload(body, format).field(http.Header{}, verify.Field{JSON: path}, "event id")
		if err != nil {
			return
		}
		if v == "" || len(v) > maxIDLen || !utf8.ValidString(v) {
			t.Fatalf("value %q accepted", v)
		}
		if form || strings.Contains(path, ".") {
			return
		}
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			return
		}
		switch got := m[path].(type) {
		case string:
			if got != v {
				t.Fatalf("read %q, encoding/json reads %q in %q", v, got, body)
			}
		case nil:
			t.Fatalf("read %q where encoding/json reads nothing: %q", v, body)
		}
	})
}
