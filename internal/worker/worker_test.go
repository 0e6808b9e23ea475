package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/webhook"
)

func TestBackoff(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 10 * time.Second}
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		for i := 0; i < 50; i++ {
			if d := b.Delay(n); d < want/2 || d > want {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
	if d := b.Delay(1000); d > b.Max || d < b.Max/2 {
		t.Fatalf("Delay(1000) = %v", d)
	}
}

func TestForwardClassification(t *testing.T) {
	ev := &webhook.Event{Source: "s", ID: "e1", Type: "t", Body: []byte(`{"a":1}`), ContentType: "application/json",
		Headers: map[string]string{"X-Pass": "v", "X-Gitlab-Token": "kept-for-another-route"}}
	for _, c := range []struct {
		name       string
		status     int
		retryAfter string
		permanent  bool
		after      time.Duration
		ok         bool
	}{
		{"OK", 200, "", false, 0, true},
		{"Accepted", 202, "", false, 0, true},
		{"ServerError", 500, "", false, 0, false},
		{"Timeout408", 408, "", false, 0, false},
		{"TooMany", 429, "120", false, 120 * time.Second, false},
		{"Unavailable", 503, "7", false, 7 * time.Second, false},
		{"Gone", 410, "", true, 0, false},
		{"BadRequest", 400, "", true, 0, false},
		{"Redirect", 302, "", true, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got *http.Request
			var body []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r
				body = make([]byte, r.ContentLength)
				r.Body.Read(body)
				if c.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				if c.retryAfter != "" {
					w.Header().Set("Retry-After", c.retryAfter)
				}
				w.WriteHeader(c.status)
			}))
			defer srv.Close()
			err := Forward(srv.Client(), srv.URL, 5*time.Second, []string{"x-pass"}).Handle(context.Background(), ev)
			if c.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if errors.Is(err, asynq.SkipRetry) != c.permanent {
				t.Fatalf("permanent = %v, want %v (%v)", !c.permanent, c.permanent, err)
			}
			var ra *RetryAfterError
			if errors.As(err, &ra) != (c.after > 0) || (ra != nil && ra.After != c.after) {
				t.Fatalf("retry-after = %v, want %v", ra, c.after)
			}
			if string(body) != `{"a":1}` || got.Header.Get("Content-Type") != "application/json" || got.Header.Get("X-Hookq-Event-Id") != "e1" ||
				got.Header.Get("X-Hookq-Attempt") != "1" || got.Header.Get("X-Pass") != "v" || got.Header.Get("X-Hookq-Source") != "s" ||
				got.Header.Get("X-Gitlab-Token") != "" || got.Method != http.MethodPost {
				t.Fatalf("request = %v %q", got.Header, body)
			}
		})
	}
	t.Run("ConnectionRefused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := Forward(http.DefaultClient, url, time.Second, nil).Handle(context.Background(), ev)
		if err == nil || errors.Is(err, asynq.SkipRetry) {
			t.Fatalf("err = %v, want retryable", err)
		}
	})
	t.Run("Slow", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Second) }))
		defer srv.Close()
		start := time.Now()
		err := Forward(srv.Client(), srv.URL, 200*time.Millisecond, nil).Handle(context.Background(), ev)
		if err == nil || errors.Is(err, asynq.SkipRetry) || time.Since(start) > time.Second {
			t.Fatalf("err = %v after %v, want retryable timeout", err, time.Since(start))
		}
	})
}

type recMetrics struct{ outcomes []string }

func (r *recMetrics) ArchiveTrimmed(string, int) {}

func (r *recMetrics) StreamTrimmed(int) {}

type recDeadLetters struct{ got []webhook.DeadLetter }

func (r *recDeadLetters) Record(_ context.Context, l webhook.DeadLetter) (webhook.DeadLetterTrims, error) {
	r.got = append(r.got, l)
	return webhook.DeadLetterTrims{}, nil
}

// Every task given up on is copied, the undecodable and the route-less
// included, with its payload as it was.
func TestEveryDeadLetterRecorded(t *testing.T) {
	payload := webhook.Encode(&webhook.Event{Source: "s", ID: "e", Type: "t", Body: []byte(`{}`)})
	dl := &recDeadLetters{}
	mux := NewMux(zap.NewNop(), []Route{
		{Name: "gone", Handler: HandlerFunc(func(context.Context, *webhook.Event) error { return fmt.Errorf("410: %w", ErrPermanent) })},
		{Name: "ok", Handler: HandlerFunc(func(context.Context, *webhook.Event) error { return nil })},
	}, MuxOptions{DeadLetters: dl})
	ctx := context.Background() // no asynq metadata: retried 0 = max 0, the last attempt
	mux.ProcessTask(ctx, asynq.NewTask("hookq:gone", payload))
	mux.ProcessTask(ctx, asynq.NewTask("hookq:ok", payload))
	undecodable := []byte(`{"source":"s","event_id":"e","body":` + strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000) + `}`)
	mux.ProcessTask(ctx, asynq.NewTask("hookq:ok", undecodable))
	mux.ProcessTask(ctx, asynq.NewTask("hookq:removed-route", payload))
	if len(dl.got) != 3 {
		t.Fatalf("recorded %d dead letters, want 3: %+v", len(dl.got), dl.got)
	}
	for i, want := range []struct {
		route   string
		payload []byte
		decoded bool
	}{{"gone", payload, true}, {"ok", undecodable, false}, {"removed-route", payload, false}} {
		g := dl.got[i]
		if g.Route != want.route || !bytes.Equal(g.Payload, want.payload) || (g.Event != nil) != want.decoded || g.Cause == nil {
			t.Errorf("dead letter %d = route %q, %d payload bytes, decoded %v, cause %v", i, g.Route, len(g.Payload), g.Event != nil, g.Cause)
		}
	}
}

func (r *recMetrics) Task(route, eventType, outcome string, _ time.Duration) {
	r.outcomes = append(r.outcomes, route+"/"+outcome)
}

func TestMuxOutcomes(t *testing.T) {
	payload := webhook.Encode(&webhook.Event{Source: "s", ID: "e", Type: "t", Body: []byte(`{}`)})
	fail := errors.New("flaky")
	m := &recMetrics{}
	mux := NewMux(zap.NewNop(), []Route{
		{Name: "ok", Handler: HandlerFunc(func(context.Context, *webhook.Event) error { return nil })},
		{Name: "flaky", Handler: HandlerFunc(func(context.Context, *webhook.Event) error { return fail })},
		{Name: "bad", Handler: HandlerFunc(func(context.Context, *webhook.Event) error { return webhook.ErrMalformedPayload })},
		{Name: "panics", Handler: HandlerFunc(func(context.Context, *webhook.Event) error { panic("boom") })},
	}, MuxOptions{Metrics: m})
	ctx := context.Background() // no asynq metadata: retried 0, max 0
	if err := mux.ProcessTask(ctx, asynq.NewTask("hookq:ok", payload)); err != nil {
		t.Fatal(err)
	}
	if err := mux.ProcessTask(ctx, asynq.NewTask("hookq:bad", payload)); !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("malformed payload must be permanent: %v", err)
	}
	if err := mux.ProcessTask(ctx, asynq.NewTask("hookq:panics", payload)); err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("panic must be a retryable error: %v", err)
	}
	if err := mux.ProcessTask(ctx, asynq.NewTask("hookq:gone-route", payload)); err == nil {
		t.Fatal("unknown route must fail")
	}
	if err := mux.ProcessTask(ctx, asynq.NewTask("hookq:ok", []byte("not an envelope"))); !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("undecodable payload must be permanent: %v", err)
	}
	want := []string{"ok/processed", "bad/dead_lettered", "panics/dead_lettered", "ok/dead_lettered"}
	if len(m.outcomes) != len(want) {
		t.Fatalf("outcomes = %v, want %v", m.outcomes, want)
	}
	for i := range want {
		if m.outcomes[i] != want[i] {
			t.Fatalf("outcomes = %v, want %v", m.outcomes, want)
		}
	}
}

func TestRetryDelayHonoursRetryAfter(t *testing.T) {
	mux := NewMux(zap.NewNop(), []Route{{Name: "r", Backoff: Backoff{Base: time.Second, Max: time.Minute}}}, MuxOptions{})
	task := asynq.NewTask("hookq:r", nil)
	if d := mux.RetryDelay(0, &RetryAfterError{After: 30 * time.Second, Err: errors.New("429")}, task); d != 30*time.Second {
		t.Fatalf("delay = %v, want 30s", d)
	}
	if d := mux.RetryDelay(0, &RetryAfterError{After: time.Hour, Err: errors.New("429")}, task); d != time.Minute {
		t.Fatalf("delay = %v, want capped at max 1m", d)
	}
	if d := mux.RetryDelay(0, errors.New("x"), task); d < 500*time.Millisecond || d > time.Second {
		t.Fatalf("delay = %v", d)
	}
}
