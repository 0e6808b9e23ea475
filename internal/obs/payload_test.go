package obs

import (
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/webhook"
)

func TestPayloadFormatterRedacts(t *testing.T) {
	ev := &webhook.Event{Source: "stripe", ID: "evt_1", Type: "charge.succeeded", ReceivedAt: time.Unix(0, 0),
		Headers: map[string]string{"X-Gitlab-Token": "glpat-secret"},
		Body:    []byte(`{"id":"evt_1","data":{"card":{"number":"4242424242424242","brand":"visa"}},"customers":[{"email":"a@b.c"},{"email":"d@e.f"}],"amount":12.50}`)}
	got := PayloadFormatter([]string{"data.card.number", "customers.*.email"}).FormatPayload("hookq:app", webhook.Encode(ev))
	for _, leak := range []string{"4242424242424242", "a@b.c", "d@e.f", "glpat-secret"} {
		if strings.Contains(got, leak) {
			t.Fatalf("%q not redacted:\n%s", leak, got)
		}
	}
	for _, keep := range []string{`"brand": "visa"`, `"event_id": "evt_1"`, `"amount": 12.50`, Redacted} {
		if !strings.Contains(got, keep) {
			t.Fatalf("%q missing:\n%s", keep, got)
		}
	}
	// A header value that is not UTF-8 travels as exact bytes too: hidden as well.
	ev.Headers = map[string]string{"Authorization": "Bearer tok\xff"}
	got = PayloadFormatter(nil).FormatPayload("hookq:app", webhook.Encode(ev))
	if strings.Contains(got, "tok") || strings.Contains(got, "QmVhcmVy") { // base64 of "Bearer"
		t.Fatalf("non-UTF-8 header value not redacted:\n%s", got)
	}
	if got := PayloadFormatter(nil).FormatPayload("other", []byte("plain text")); got != "plain text" {
		t.Fatalf("foreign payload: %q", got)
	}
}

func TestPayloadFormatterShowsCompressedEnvelopes(t *testing.T) {
	ev := &webhook.Event{Source: "stripe", ID: "evt_2", Type: "charge.succeeded", ReceivedAt: time.Unix(0, 0),
		Body: []byte(`{"id":"evt_2","card":{"number":"4242424242424242"},"pad":"` + strings.Repeat("lorem ipsum ", 100) + `"}`)}
	p := webhook.Encode(ev)
	if p[0] == '{' {
		t.Fatal("test needs a compressed payload")
	}
	got := PayloadFormatter([]string{"card.number"}).FormatPayload("hookq:app", p)
	if !strings.Contains(got, `"event_id": "evt_2"`) || !strings.Contains(got, "lorem ipsum") || strings.Contains(got, "4242") {
		t.Fatalf("compressed envelope not shown as redacted JSON:\n%.300s", got)
	}
}
