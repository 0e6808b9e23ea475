package spool

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookq/hookq/internal/webhook"
)

func TestRecordRoundTrip(t *testing.T) {
	r := &record{appendedAt: time.Unix(1_750_000_000, 123).UTC(), nonce: "0123456789abcdef01234567", ttl: 72 * time.Hour,
		tasks:   []webhook.Task{{Route: "app", MaxRetry: 8, Timeout: 15 * time.Second, Headers: map[string]string{"X-Request-Id": "r1"}}, {Route: "audit", Timeout: 6 * time.Second}},
		headers: map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		ev: &webhook.Event{Source: "stripe", ID: "evt_1", Type: "charge.refunded", Body: []byte("{\"id\":\"evt_1\"}\r\n"),
			ContentType: "application/json",
			ReceivedAt:  time.Unix(1_750_000_000, 0).UTC(), VerifiedBy: "stripe"}}
	b := r.encode()
	got, err := decodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got, cmp.AllowUnexported(record{}), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	if at, ok := appendedAt(b); !ok || !at.Equal(r.appendedAt) {
		t.Fatalf("appendedAt = %v %v", at, ok)
	}
	// Every truncation and every single-byte change is caught, never a panic
	// or a different event.
	for n := 0; n < len(b); n++ {
		if _, err := decodeRecord(b[:n]); !errors.Is(err, errCorrupt) {
			t.Fatalf("truncated to %d: err = %v", n, err)
		}
	}
	for i := range b {
		c := append([]byte(nil), b...)
		c[i] ^= 0x20
		if _, err := decodeRecord(c); !errors.Is(err, errCorrupt) {
			t.Fatalf("byte %d flipped: err = %v", i, err)
		}
	}
}
