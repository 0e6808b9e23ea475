package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
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
			p := Encode(in)
			if !json.Valid(p) {
				t.Fatalf("payload is not JSON: %s", p)
			}
			out, err := Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Body, in.Body) || out.ID != in.ID || out.Source != in.Source || out.Type != in.Type ||
				!out.ReceivedAt.Equal(in.ReceivedAt) || out.Headers["X-A"] != "1" || out.VerifiedBy != "hmac" || out.ContentType != in.ContentType {
				t.Fatalf("round trip changed the event:\n in %+v\nout %+v", in, out)
			}
		})
	}
}

func TestDecodeRejectsForeignPayloads(t *testing.T) {
	for _, p := range []string{``, `nope`, `{}`, `{"source":"s"}`, `[]`} {
		if _, err := Decode([]byte(p)); !errors.Is(err, ErrBadEnvelope) {
			t.Errorf("Decode(%q) = %v", p, err)
		}
	}
}
