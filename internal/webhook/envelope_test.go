package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	for name, body := range map[string][]byte{
		"JSONWithOddSpacing": []byte("{ \"id\" : \"evt_1\",\n  \"n\": 1.50 }"),
		"Binary":             {0x00, 0xff, 0x10, '{'},
		"Form":               []byte("a=1&b=2"),
		"Empty":              nil,
		"JSONArray":          []byte(`[{"sg_event_id":"x"}]`),
		"InvalidUTF8InJSON":  []byte("{\"a\":\"\xff\"}"),
		"TrailingCRLF":       []byte("[{\"event\":\"open\"}]\r\n"),
		"LeadingSpace":       []byte(" {\"id\":\"x\"}"),
		"TrailingNewline":    []byte("{\"id\":\"x\"}\n"),
	} {
		t.Run(name, func(t *testing.T) {
			in := &Event{Source: "s", ID: "id:1", Type: "t", Body: body, ContentType: "application/json",
				Headers: map[string]string{"X-A": "1"}, ReceivedAt: time.Unix(1_750_000_000, 123).UTC(), VerifiedBy: "hmac"}
			out := roundTrip(t, in)
			if !bytes.Equal(out.Body, in.Body) || out.ID != in.ID || out.Source != in.Source || out.Type != in.Type ||
				!out.ReceivedAt.Equal(in.ReceivedAt) || out.Headers["X-A"] != "1" || out.VerifiedBy != "hmac" || out.ContentType != in.ContentType {
				t.Fatalf("round trip changed the event:\n in %+v\nout %+v", in, out)
			}
		})
	}
}

// roundTrip encodes in, checks the payload is JSON, and decodes it.
func roundTrip(t *testing.T, in *Event) *Event {
	t.Helper()
	p := Encode(in)
	if !json.Valid(p) {
		t.Fatalf("payload is not JSON: %s", p)
	}
	out, err := Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeRejectsForeignPayloads(t *testing.T) {
	for _, p := range []string{``, `nope`, `{}`, `{"source":"s"}`, `[]`} {
		if _, err := Decode([]byte(p)); !errors.Is(err, ErrBadEnvelope) {
			t.Errorf("Decode(%q) = %v", p, err)
		}
	}
}

// A body ingest accepts may nest as deep as encoding/json allows; the
// envelope adds a level, so such a body must still come back intact.
func TestEnvelopeDeepJSON(t *testing.T) {
	for _, depth := range []int{1_000, 1_001, 9_999, 10_000} {
		body := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
		if !json.Valid(body) {
			t.Fatalf("depth %d: test body is not valid JSON", depth)
		}
		out, err := Decode(Encode(&Event{Source: "s", ID: "e", Body: body}))
		if err != nil || !bytes.Equal(out.Body, body) {
			t.Fatalf("depth %d: decode error %v, body intact %v", depth, err, err == nil && bytes.Equal(out.Body, body))
		}
	}
}

func TestEnvelopeNonUTF8Fields(t *testing.T) {
	in := &Event{Source: "s", ID: "id-\xff\xfe", Type: "t\x80", ContentType: "text/plain; x=\xe9",
		Headers: map[string]string{"X-Token": "a\xffb", "X-Plain": "ok"}, Body: []byte("x")}
	out := roundTrip(t, in)
	if out.ID != in.ID || out.Type != in.Type || out.ContentType != in.ContentType || len(out.Headers) != 2 ||
		out.Headers["X-Token"] != in.Headers["X-Token"] || out.Headers["X-Plain"] != "ok" {
		t.Fatalf("round trip changed the event:\n in %#v\nout %#v", in, out)
	}
}

// FuzzEnvelope: whatever ingest can hand over (any body, any header and id
// bytes), the worker decodes exactly that event.
func FuzzEnvelope(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","type":"payment_success","data":{}}`), "evt_1", "payment_success", "application/json", "Bearer x", int64(1_750_000_000))
	f.Add([]byte("[{\"event\":\"open\"}]\r\n"), "sha256:00", "", "application/json", "", int64(0))
	f.Add([]byte("a=1&b=%FF"), "SM\xff", "t\x80", "application/x-www-form-urlencoded", "\xfe", int64(-1))
	f.Add([]byte(strings.Repeat("[", 9_999)+strings.Repeat("]", 9_999)), "deep", "t", "", "", int64(1))
	f.Add([]byte(`{"a":"\ud800","b":1e999,"a":2}`), "dup", "t", "application/json", "", int64(2))
	f.Fuzz(func(t *testing.T, body []byte, id, typ, ct, hv string, sec int64) {
		if id == "" {
			id = "x" // ingest never enqueues an event without an id
		}
		sec %= 253_402_300_799 // years 0001-9999: what a clock can say
		if sec < 0 {
			sec = -sec
		}
		in := &Event{Source: "src", ID: id, Type: typ, Body: body, ContentType: ct, VerifiedBy: "hmac",
			ReceivedAt: time.Unix(sec-62_135_596_800+1, sec%1e9).UTC()}
		if hv != "" {
			in.Headers = map[string]string{"Authorization": hv, "X-" + hv: "v"}
		}
		p := Encode(in)
		out, err := Decode(p)
		if err != nil {
			t.Fatalf("Decode(Encode(ev)): %v", err)
		}
		if !bytes.Equal(out.Body, in.Body) {
			t.Fatalf("body changed: %q -> %q", in.Body, out.Body)
		}
		if out.Source != in.Source || out.ID != in.ID || out.Type != in.Type || out.ContentType != in.ContentType ||
			out.VerifiedBy != in.VerifiedBy || !out.ReceivedAt.Equal(in.ReceivedAt) {
			t.Fatalf("fields changed:\n in %#v\nout %#v", in, out)
		}
		if len(out.Headers) != len(in.Headers) {
			t.Fatalf("headers changed: %q -> %q", in.Headers, out.Headers)
		}
		for k, v := range in.Headers {
			if out.Headers[k] != v {
				t.Fatalf("header %q changed: %q -> %q", k, v, out.Headers[k])
			}
		}
	})
}

func TestNestingWithin(t *testing.T) {
	deep := func(n int) []byte { return []byte(strings.Repeat("[", n) + strings.Repeat("]", n)) }
	manyInStrings := []byte(`{"a":"` + strings.Repeat("{[", 800) + `","b":[[1]]}`) // openers counted, not nested
	manySiblings := []byte("[" + strings.Repeat("[],", 1500) + "[]]")
	for _, c := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"AtLimit", deep(maxEmbedDepth), true},
		{"PastLimit", deep(maxEmbedDepth + 1), false},
		{"OpenersInStrings", manyInStrings, true},
		{"ManyShallowSiblings", manySiblings, true},
	} {
		if got := nestingWithin(c.b, maxEmbedDepth); got != c.want {
			t.Errorf("%s: nestingWithin = %v, want %v", c.name, got, c.want)
		}
	}
}

// splitBody must take every envelope encodeJSON embeds a body in, and agree
// with encoding/json on any payload both accept: a "body" key inside headers
// or raw, or a body that spells `,"body":` itself, must not fool it.
func FuzzSplitBody(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","note":",\"body\":1}"}`), "body", `,"body":{}}`)
	f.Add([]byte(`[1,2,{"body":3}]`), "x", "y")
	f.Add([]byte(`"text"`), "\xff", "body")
	f.Fuzz(func(t *testing.T, body []byte, hk, hv string) {
		in := &Event{Source: "src", ID: "id", Body: body, Headers: map[string]string{hk: hv, "body": hv}, ReceivedAt: time.Unix(1, 0).UTC()}
		p := encodeJSON(in)
		var full envelope
		if err := json.Unmarshal(p, &full); err != nil {
			t.Fatalf("encodeJSON wrote what encoding/json refuses: %v", err)
		}
		head, b, ok := splitBody(p)
		if len(full.Body) > 0 && !ok {
			t.Fatalf("embedded body not split: %q", p)
		}
		if !ok {
			return
		}
		var fast envelope
		if err := json.Unmarshal(head, &fast); err != nil {
			t.Fatalf("head does not decode: %v\n%q", err, head)
		}
		fast.Body = b
		if !bytes.Equal(fast.Body, full.Body) || fast.Source != full.Source || fast.EventID != full.EventID ||
			len(fast.Headers) != len(full.Headers) || !bytes.Equal(fast.BodyB64, full.BodyB64) {
			t.Fatalf("split decode differs:\nfast %+v\nfull %+v", fast, full)
		}
	})
}

// Any payload splitBody takes must decode as encoding/json decodes it whole.
func FuzzSplitBodyForeign(f *testing.F) {
	f.Add([]byte(`{"source":"s","event_id":"e","headers":{"body":"x"},"body":{"a":1}}`))
	f.Add([]byte(`{"source":"s","event_id":"e","body":1,"body":2}`))
	f.Add([]byte(`{"source":"s","event_id":"e","body":"x"}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		head, b, ok := splitBody(p)
		if !ok {
			return
		}
		var full, fast envelope
		if json.Unmarshal(p, &full) != nil || json.Unmarshal(head, &fast) != nil {
			return // the body or head is not JSON: not a payload encodeJSON writes
		}
		fast.Body = b
		if !bytes.Equal(fast.Body, full.Body) || fast.Source != full.Source || fast.EventID != full.EventID {
			t.Fatalf("split decode differs on %q:\nfast %+v\nfull %+v", p, fast, full)
		}
	})
}
