package trace

import (
	"context"
	"strings"
	"testing"
)

const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParse(t *testing.T) {
	for tp, want := range map[string]bool{
		valid: true,
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00":  true,
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01":  false,
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01":  false,
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01":  false,
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01":  false,
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-": false,
		"": false, "garbage": false,
	} {
		if _, ok := Parse(tp); ok != want {
			t.Errorf("Parse(%q) ok = %v, want %v", tp, ok, want)
		}
	}
}

func TestFromRequestAndChild(t *testing.T) {
	if FromRequest(valid) != valid {
		t.Fatal("a valid traceparent must be kept")
	}
	n := FromRequest("bogus")
	if _, ok := Parse(n); !ok {
		t.Fatalf("new traceparent invalid: %s", n)
	}
	c := Child(valid)
	if _, ok := Parse(c); !ok || !strings.HasPrefix(c, valid[:36]) || c == valid || !strings.HasSuffix(c, "-01") {
		t.Fatalf("child = %s", c)
	}
}

// traceparent comes from any client: Parse must never panic and must
// accept only what it can return a well-formed trace id for.
func FuzzParse(f *testing.F) {
	f.Add(valid)
	f.Add("00-" + strings.Repeat("0", 32) + "-" + strings.Repeat("a", 16) + "-01")
	f.Add("")
	f.Fuzz(func(t *testing.T, tp string) {
		id, ok := Parse(tp)
		if ok && (len(id) != 32 || !lowerHex(id)) {
			t.Fatalf("Parse(%q) = %q", tp, id)
		}
		if c := Child(tp); func() bool { _, ok := Parse(c); return !ok }() {
			t.Fatalf("Child(%q) = %q is invalid", tp, c)
		}
	})
}

// A request without a traceparent starts a trace sampled at the configured
// ratio; a provider's sampled flag is still honoured.
func TestStartHonoursRatio(t *testing.T) {
	ctx := context.Background()
	for _, ratio := range []float64{0, 1} {
		tr, shutdown, err := Setup(ctx, "http://127.0.0.1:1", "test", ratio)
		if err != nil {
			t.Fatal(err)
		}
		defer shutdown(ctx)
		_, tp, end := tr.Start(ctx, "webhook", "")
		end(nil)
		want := map[float64]string{0: "-00", 1: "-01"}[ratio]
		if _, ok := Parse(tp); !ok || !strings.HasSuffix(tp, want) {
			t.Fatalf("ratio %v: traceparent %q, want flags %s", ratio, tp, want)
		}
	}
	tr, shutdown, _ := Setup(ctx, "http://127.0.0.1:1", "test", 0)
	defer shutdown(ctx)
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	if _, tp, end := tr.Start(ctx, "webhook", parent); !strings.HasPrefix(tp, parent[:36]) || !strings.HasSuffix(tp, "-01") {
		t.Fatalf("sampled parent not honoured: %q", tp)
	} else {
		end(nil)
	}
}

func TestParseParent(t *testing.T) {
	p, ok := ParseParent(valid)
	if !ok || p.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || p.ParentID != "00f067aa0ba902b7" || p.Flags != "01" {
		t.Fatalf("ParseParent = %+v, %v", p, ok)
	}
	if p.String() != valid {
		t.Fatalf("String() = %s, want %s", p.String(), valid)
	}
	if TraceID(valid) != p.TraceID || TraceID("garbage") != "" {
		t.Fatal("TraceID disagrees with ParseParent")
	}
}
