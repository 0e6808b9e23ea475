package reconcile_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/sign"
)

// fakeStripe serves GET /v1/events the way Stripe does: newest first,
// created[gte], limit, starting_after, has_more; but at most pageSize a page.
type fakeStripe struct {
	mu       sync.Mutex
	key      string
	events   []string // raw event JSON, newest first
	pageSize int
	limited  int // answer this many requests 429 first
	requests int
	refused  int
	times    []time.Time // of requests served
	onPage   func(n int) // called, unlocked, before serving the n-th page (from 1)
}

func (f *fakeStripe) serve(tb testing.TB) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests++
		if r.Header.Get("Authorization") != "Bearer "+f.key {
			http.Error(w, `{"error":{"type":"invalid_request_error","message":"Invalid API Key"}}`, http.StatusUnauthorized)
			return
		}
		if f.limited > 0 {
			f.limited--
			f.refused++
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}`))
			return
		}
		if r.Method != http.MethodGet || r.URL.Path != "/v1/events" {
			http.NotFound(w, r)
			return
		}
		f.times = append(f.times, time.Now())
		if on, n := f.onPage, len(f.times); on != nil {
			f.mu.Unlock()
			on(n)
			f.mu.Lock()
		}
		q := r.URL.Query()
		gte, _ := strconv.ParseInt(q.Get("created[gte]"), 10, 64)
		limit, _ := strconv.Atoi(q.Get("limit"))
		limit = min(max(limit, 1), 100, f.pageSize)
		var data []string
		after := q.Get("starting_after")
		more := false
		for _, e := range f.events {
			var ev struct {
				ID      string `json:"id"`
				Created int64  `json:"created"`
			}
			json.Unmarshal([]byte(e), &ev)
			if after != "" {
				if ev.ID == after {
					after = ""
				}
				continue
			}
			if ev.Created < gte {
				continue
			}
			if len(data) == limit {
				more = true
				break
			}
			data = append(data, e)
		}
		// Stripe answers indented JSON.
		var out bytes.Buffer
		json.Indent(&out, []byte(`{"object":"list","url":"/v1/events","has_more":`+strconv.FormatBool(more)+`,"data":[`+strings.Join(data, ",")+`]}`), "", "  ")
		w.Header().Set("Content-Type", "application/json")
		w.Write(out.Bytes())
	}))
	tb.Cleanup(s.Close)
	return s
}

func stripeEvent(id, typ string, created time.Time) string {
	return fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2025-06-30.basil","created":%d,"data":{"object":{"id":"pi_%s","object":"payment_intent","amount":5000,"currency":"pkr"}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":%q}`,
		id, created.Unix(), id, typ)
}

// delivery is one attempt GitHub lists for a hook.
type delivery struct {
	ID         int64     `json:"id"`
	GUID       string    `json:"guid"`
	At         time.Time `json:"delivered_at"`
	Redelivery bool      `json:"redelivery"`
	Duration   float64   `json:"duration"`
	Status     string    `json:"status"`
	StatusCode int       `json:"status_code"`
	Event      string    `json:"event"`
	Action     *string   `json:"action"`
	RepoID     int64     `json:"repository_id"`
}

// fakeGitHub serves a repository hook's deliveries (cursor pages of
// pageSize, newest first) and redelivers: a POST to …/attempts sends the
// delivery again, signed, to the ingest URL and lists the new attempt.
type fakeGitHub struct {
	mu          sync.Mutex
	token       string
	secret      string
	ingest      string // URL of POST /webhooks/<source>
	deliveries  []delivery
	bodies      map[string][]byte // by GUID
	pageSize    int
	nextID      int64
	redelivered []int64 // delivery ids asked for
}

func (f *fakeGitHub) serve(tb testing.TB, base string) *httptest.Server {
	var s *httptest.Server
	s = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"message":"Bad credentials"}`))
			return
		}
		path, ok := strings.CutPrefix(r.URL.Path, base+"/deliveries")
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && path == "":
			f.mu.Lock()
			from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
			n, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
			n = min(max(n, 1), f.pageSize)
			end := min(from+n, len(f.deliveries))
			page := slices.Clone(f.deliveries[min(from, end):end])
			f.mu.Unlock()
			if end < len(f.deliveries) {
				w.Header().Set("Link", fmt.Sprintf(`<%s%s/deliveries?cursor=%d&per_page=%d>; rel="next"`, s.URL, base, end, n))
			}
			json.NewEncoder(w).Encode(page)
		case r.Method == http.MethodPost && strings.HasSuffix(path, "/attempts"):
			id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/attempts"), 10, 64)
			if err != nil {
				http.NotFound(w, r)
				return
			}
			if err := f.redeliver(id); err != nil {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprintf(w, `{"message":%q}`, err.Error())
				return
			}
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte(`{}`))
		default:
			http.NotFound(w, r)
		}
	}))
	tb.Cleanup(s.Close)
	return s
}

func (f *fakeGitHub) redeliver(id int64) error {
	f.mu.Lock()
	f.redelivered = append(f.redelivered, id)
	var d *delivery
	for i := range f.deliveries {
		if f.deliveries[i].ID == id {
			d = &f.deliveries[i]
		}
	}
	if d == nil {
		f.mu.Unlock()
		return fmt.Errorf("no delivery %d", id)
	}
	guid, event, body := d.GUID, d.Event, f.bodies[d.GUID]
	f.mu.Unlock()
	status := post(f.ingest, sign.Request{Type: "github", Secret: f.secret, Body: body, Now: time.Now(), EventID: guid, EventType: event})
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.deliveries = append([]delivery{{ID: f.nextID, GUID: guid, At: time.Now().UTC(), Redelivery: true, Status: http.StatusText(status),
		StatusCode: status, Event: event}}, f.deliveries...)
	return nil
}

// post delivers a signed webhook and returns the status, 0 on a transport error.
func post(url string, r sign.Request) int {
	h, err := sign.Sign(r)
	if err != nil {
		return 0
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(r.Body))
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
