package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hookq/hookq/internal/webhook"
)

// Output helpers: every command prints -json the same way (indented) and
// tables the same way (two spaces between columns).

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return utc(t)
}

func fmtTimeAgo(t time.Time, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return utc(t) + " (" + ago(now.Sub(t)) + ")"
}

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "in " + (-d).Round(time.Second).String()
	case d < time.Minute:
		return d.Round(time.Second).String() + " ago"
	case d < 48*time.Hour:
		return d.Round(time.Minute).String() + " ago"
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine flattens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func kv(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, " ")
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// renderBody shows a body readably: JSON indented, printable text as is,
// anything else as a hex dump.
func renderBody(b []byte) (kind, text string) {
	switch {
	case len(b) == 0:
		return "empty", ""
	case json.Valid(b):
		var out bytes.Buffer
		if json.Indent(&out, b, "", "  ") == nil {
			return "JSON", out.String()
		}
		return "JSON", string(b)
	case printable(b):
		return "text", string(b)
	}
	return "binary, hex dump", hex.Dump(b)
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}

// deliveryText renders a recorded forward attempt in a few words.
func deliveryText(d *webhook.Delivery) string {
	answer := fmt.Sprintf("destination answered %d", d.Status)
	if d.Status == 0 {
		answer = "no answer: " + oneLine(d.Error, 60)
	}
	return fmt.Sprintf("%s in %.1fms (attempt %d)", answer, d.LatencyMS, d.Attempt)
}
