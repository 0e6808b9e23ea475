package obs

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/hibiken/asynqmon"

	"github.com/hookq/hookq/internal/webhook"
)

// Redacted replaces every redacted value in the dashboard.
const Redacted = "REDACTED"

// PayloadFormatter renders hookq task envelopes for the dashboard: indented
// JSON, with the values at each redact path (dot-separated keys into the
// event body, numeric segments index arrays, * matches any key) replaced by
// REDACTED, as are the values of kept request headers. Display only: the task itself is never changed. A payload that
// is not hookq's is shown as Asynqmon would.
func PayloadFormatter(redact []string) asynqmon.PayloadFormatter {
	paths := make([][]string, len(redact))
	for i, p := range redact {
		paths[i] = strings.Split(p, ".")
	}
	return asynqmon.PayloadFormatterFunc(func(typ string, payload []byte) string {
		if j, err := webhook.Expand(payload); err == nil {
			payload = j // a compressed envelope shows as its JSON
		}
		var env map[string]any
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.UseNumber()
		if err := dec.Decode(&env); err != nil {
			return asynqmon.DefaultPayloadFormatter.FormatPayload(typ, payload)
		}
		if body, ok := env["body"]; ok {
			for _, p := range paths {
				body = redactPath(body, p)
			}
			env["body"] = body
		}
		// Kept request headers may carry tokens (pass_headers): names only.
		if hs, ok := env["headers"].(map[string]any); ok {
			for k := range hs {
				hs[k] = Redacted
			}
		}
		// The exact bytes of fields that are not UTF-8: headers among them.
		if raw, ok := env["raw"].(map[string]any); ok {
			if _, ok := raw["headers"]; ok {
				raw["headers"] = Redacted
			}
		}
		if _, ok := env["body_b64"]; ok && len(paths) > 0 {
			env["body_b64"] = Redacted + " (non-JSON body hidden because redaction is configured)"
		}
		out, err := json.MarshalIndent(env, "", "  ")
		if err != nil {
			return asynqmon.DefaultPayloadFormatter.FormatPayload(typ, payload)
		}
		return string(out)
	})
}

func redactPath(v any, path []string) any {
	if len(path) == 0 {
		return Redacted
	}
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if path[0] == "*" || path[0] == k {
				x[k] = redactPath(child, path[1:])
			}
		}
	case []any:
		for i, child := range x {
			if path[0] == "*" || path[0] == strconv.Itoa(i) {
				x[i] = redactPath(child, path[1:])
			}
		}
	}
	return v
}
