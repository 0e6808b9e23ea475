package webhook

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

func bigEvent(body []byte) *Event {
	return &Event{Source: "stripe", ID: "evt_1", Type: "payment_intent.succeeded", Body: body, ContentType: "application/json",
		Headers: map[string]string{"X-Request-Id": "r1"}, ReceivedAt: time.Unix(1_750_000_000, 5).UTC(), VerifiedBy: "stripe"}
}

func TestCompressedEnvelope(t *testing.T) {
	jsonBody := []byte(`{"id":"evt_1","object":"event","data":{"object":{"id":"pi_1","amount":5000,"currency":"pkr","metadata":{"a":"` +
		strings.Repeat("order ", 150) + `"}}}}`)
	random := make([]byte, 2000)
	rand.Read(random)
	for name, body := range map[string][]byte{"JSON": jsonBody, "Random": random, "Small": []byte(`{"id":"x"}`)} {
		t.Run(name, func(t *testing.T) {
			in := bigEvent(body)
			plain := encodeJSON(in)
			p := Encode(in)
			compressed := bytes.HasPrefix(p, s2Magic)
			switch {
			case len(plain) <= compressAbove && compressed:
				t.Fatal("a small envelope was compressed")
			case compressed && len(p) >= len(plain):
				t.Fatalf("compressed %d bytes into %d", len(plain), len(p))
			case !compressed && !json.Valid(p):
				t.Fatal("uncompressed payload is not JSON")
			case name == "JSON" && !compressed:
				t.Fatal("a 1 KB JSON envelope was not compressed")
			}
			out, err := Decode(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Body, body) || out.ID != in.ID || !out.ReceivedAt.Equal(in.ReceivedAt) || out.Headers["X-Request-Id"] != "r1" {
				t.Fatalf("round trip changed the event: %+v", out)
			}
			j, err := Expand(p)
			if err != nil || !bytes.Equal(j, plain) {
				t.Fatalf("Expand = %.80q, %v; want the JSON envelope", j, err)
			}
		})
	}
}

// Tasks written before compression existed are plain JSON and must still run.
func TestUncompressedEnvelopeStillDecodes(t *testing.T) {
	body := []byte(`{"id":"evt_1","pad":"` + strings.Repeat("x", 2000) + `"}`)
	out, err := Decode(encodeJSON(bigEvent(body)))
	if err != nil || !bytes.Equal(out.Body, body) {
		t.Fatalf("Decode(plain JSON) = %v, %v", out, err)
	}
}

func TestDecodeRejectsBadFrames(t *testing.T) {
	p := Encode(bigEvent([]byte(`{"pad":"` + strings.Repeat("abc", 1000) + `"}`)))
	if !bytes.HasPrefix(p, s2Magic) {
		t.Fatal("not compressed")
	}
	truncated := p[:len(p)/2]
	corrupt := bytes.Clone(p)
	corrupt[len(corrupt)-6] ^= 0xff
	badSum := bytes.Clone(p)
	badSum[len(s2Magic)] ^= 0xff
	// A block declaring more than maxExpanded bytes is refused before any allocation.
	bomb := append(append(bytes.Clone(s2Magic), 0, 0, 0, 0), binary.AppendUvarint(nil, maxExpanded+1)...)
	bomb = append(bomb, make([]byte, 64)...)
	enc, _ := zstd.NewWriter(nil)
	zstdBomb := enc.EncodeAll(make([]byte, maxExpanded+1), nil) // zeros: a few KB that expand past the bound
	notEnvelope := enc.EncodeAll([]byte(`{"nope":true}`), nil)
	for name, p := range map[string][]byte{"Truncated": truncated, "Corrupt": corrupt, "BadChecksum": badSum, "Bomb": bomb,
		"ShortHead": s2Magic, "ZstdBomb": zstdBomb, "ZstdNotAnEnvelope": notEnvelope} {
		if _, err := Decode(p); !errors.Is(err, ErrBadEnvelope) {
			t.Errorf("%s: Decode = %v, want ErrBadEnvelope", name, err)
		}
	}
}

// Envelopes earlier versions stored as zstd frames primed with
// envelopeDict must still decode.
func TestZstdEnvelopeStillDecodes(t *testing.T) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderDictRaw(envelopeDictID, []byte(envelopeDict)),
		zstd.WithWindowSize(1<<16))
	if err != nil {
		t.Fatal(err)
	}
	in := bigEvent([]byte(`{"id":"evt_1","pad":"` + strings.Repeat("order ", 200) + `"}`))
	out, err := Decode(enc.EncodeAll(encodeJSON(in), nil))
	if err != nil || !bytes.Equal(out.Body, in.Body) || out.ID != in.ID {
		t.Fatalf("Decode(zstd frame) = %+v, %v", out, err)
	}
}

func BenchmarkEnvelope(b *testing.B) {
	body := []byte(`{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2024-06-20","created":1733150000,"type":"payment_intent.succeeded","data":{"object":{"id":"pi_3NG8Du2eZvKYlo2C1Jp8fVOY","object":"payment_intent","amount":5000,"amount_received":5000,"currency":"pkr","customer":"cus_O2Cq0rDbuHmKbT","description":"Order #581234","latest_charge":"ch_3NG8Du2eZvKYlo2C1g1r0aLs","metadata":{"order_id":"ord_Hk29sLq01p","cart_id":"c8f2b1d94e7a6031"},"payment_method":"pm_1NG8Dt2eZvKYlo2CtqXo0w4m","payment_method_types":["card"],"receipt_email":"qk3v9sme@example.com","shipping":{"address":{"city":"Lahore","country":"PK","line1":"412 Mall Road","postal_code":"54210"},"name":"Ayesha Rahman"},"status":"succeeded","statement_descriptor":null,"transfer_group":null,"next_action":null,"on_behalf_of":null,"review":null,"setup_future_usage":null,"source":null}},"previous_attributes":null,"livemode":false,"pending_webhooks":1,"request":{"id":"req_8Vb2kQ0pL3mZxA","idempotency_key":"5f0c2a7e-91b4-4d3a-8e6f-2c1b0a9d8e7f"}}`)
	ev := bigEvent(body)
	p := Encode(ev)
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Encode(ev)
		}
		b.ReportMetric(float64(len(p)), "payload-bytes")
	})
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEnvelopeJSONOnly(b *testing.B) {
	ev := bigEvent([]byte(`{"id":"evt_1","pad":"` + strings.Repeat("ab1", 330) + `"}`))
	p := encodeJSON(ev)
	b.Run("Encode", func(b *testing.B) {
		for b.Loop() {
			encodeJSON(ev)
		}
	})
	b.Run("Decode", func(b *testing.B) {
		for b.Loop() {
			decodeJSON(p)
		}
	})
}

// A payload is whatever is in Redis: Decode must refuse garbage behind any
// of the three prefixes with an error, never panic.
func FuzzDecode(f *testing.F) {
	f.Add(Encode(bigEvent([]byte(`{"id":"evt_1","pad":"` + strings.Repeat("order ", 120) + `"}`))))
	f.Add(append(bytes.Clone(s2Magic), 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f))
	f.Add([]byte(`{"source":"s","event_id":"e"}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		ev, err := Decode(p)
		if err == nil && (ev.Source == "" || ev.ID == "") {
			t.Fatalf("decoded an event without source or id: %+v", ev)
		}
	})
}
