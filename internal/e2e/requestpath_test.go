package e2e

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/redistest"
)

const (
	mailgunKey  = "e2e-mailgun-signing-key"
	twilioToken = "e2e-twilio-auth-token"
)

// The request path against real binaries: what a stranger holding captured
// deliveries, or none, can make ingest do. One stack; each subtest is one
// class of the review.
func TestRequestPath(t *testing.T) {
	rec := &otlpReceiver{}
	collector := newOTLP(t, rec)
	s := startStack(t, stackOpts{maxBody: 1 << 20, otlp: collector, sampling: "0", sources: `
  - name: mailgun
    verifier: { type: mailgun, secrets: ["` + mailgunKey + `"] }
  - name: mailgun-legacy
    body_format: form
    verifier: { type: mailgun, secrets: ["` + mailgunKey + `"] }
  - name: twilio
    verifier: { type: twilio, secrets: ["` + twilioToken + `"], url: "{{INGEST}}/webhooks/twilio" }
`, routes: `
  - name: mg
    source: mailgun
    events: ["delivered"]
    handler: log
  - name: mg-legacy
    source: mailgun-legacy
    handler: log
  - name: tw
    source: twilio
    handler: log
`})
	replica := s.startIngestReplica()

	// 1. A Mailgun signature covers only timestamp+token: the token is bound
	// to the whole body in Redis, shared by every replica.
	t.Run("MailgunTokenBoundToBody", func(t *testing.T) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		sig := func(token string) string { return hmacHex(mailgunKey, ts+token) }
		body := func(token, eventData string) []byte {
			return []byte(`{"signature":{"timestamp":"` + ts + `","token":"` + token + `","signature":"` + sig(token) + `"},` + eventData + `}`)
		}
		genuine := body("tok-1", `"event-data":{"id":"mg-ev1","event":"delivered"}`)
		expect(t, s.postRaw(s.ingestURL, "mailgun", genuine, "application/json"), 200, `"status":"accepted"`)
		expect(t, s.postRaw(replica, "mailgun", genuine, "application/json"), 200, `"status":"duplicate"`)
		for name, forged := range map[string][]byte{
			"OtherEvent":   body("tok-1", `"event-data":{"id":"mg-forged","event":"delivered"}`),
			"DuplicateKey": body("tok-1", `"event-data":{"id":"mg-ev1","event":"delivered"},"event-data":{"id":"mg-dup","event":"delivered"}`),
			"CaseVariant":  body("tok-1", `"EVENT-DATA":{"id":"mg-case","event":"delivered"},"event-data":{"id":"mg-ev1","event":"delivered"}`),
		} {
			for _, base := range []string{s.ingestURL, replica} {
				if r := s.postRaw(base, "mailgun", forged, "application/json"); r.status != 401 {
					t.Errorf("%s via %s: %d %s, want 401", name, base, r.status, r.body)
				}
			}
		}
		// A delivery answered `ignored` still holds its token.
		ignored := body("tok-2", `"event-data":{"id":"mg-ev2","event":"opened"}`)
		expect(t, s.postRaw(s.ingestURL, "mailgun", ignored, "application/json"), 200, `"status":"ignored"`)
		expect(t, s.postRaw(replica, "mailgun", body("tok-2", `"event-data":{"id":"mg-ev2x","event":"delivered"}`), "application/json"), 401, "invalid_signature")

		// Legacy form posts, configured per source, are bound the same way.
		form := "event=delivered&recipient=a%40example.com&timestamp=" + ts + "&token=tok-3&signature=" + sig("tok-3")
		r := s.postRaw(s.ingestURL, "mailgun-legacy", []byte(form), "application/x-www-form-urlencoded")
		expect(t, r, 200, `"status":"accepted"`, `"event_type":"delivered"`)
		expect(t, s.postRaw(replica, "mailgun-legacy", []byte(form), "application/x-www-form-urlencoded"), 200, `"status":"duplicate"`)
		expect(t, s.postRaw(replica, "mailgun-legacy", []byte(strings.Replace(form, "a%40", "evil%40", 1)), "application/x-www-form-urlencoded"), 401, "invalid_signature")
	})

	// 2. The source's format, not the Content-Type, decides how signed bytes
	// are read: `&id=…&type=…` inside a JSON string stays text.
	t.Run("BodyFormatIsTheSources", func(t *testing.T) {
		body := []byte(`{"id":"evt_fmt","type":"test.fmt","note":"x&id=forged&type=payment_success&"}`)
		status, resp, _ := s.post("seed", body, seedSecret, "Content-Type", "application/x-www-form-urlencoded")
		if status != 200 || !strings.Contains(resp, `"event_id":"evt_fmt"`) || !strings.Contains(resp, `"event_type":"test.fmt"`) {
			t.Fatalf("%d %s: want evt_fmt / test.fmt read as JSON", status, resp)
		}
	})

	// 3. Attacker-chosen event types and source names create no series.
	t.Run("MetricLabelsBounded", func(t *testing.T) {
		for i := range 30 {
			id := fmt.Sprintf("evt_card_%d", i)
			if status, resp, _ := s.post("seed", seedBody(id, fmt.Sprintf("test.evil%d", i), `{}`), seedSecret); status != 200 {
				t.Fatalf("%d %s", status, resp)
			}
			s.postRaw(s.ingestURL, fmt.Sprintf("evil%d", i), []byte(`{}`), "application/json")
		}
		eventually(t, 15*time.Second, "30 deliveries", func() bool {
			for i := range 30 {
				if len(s.sink.deliveries(fmt.Sprintf("evt_card_%d", i))) == 0 {
					return false
				}
			}
			return true
		})
		eventually(t, 5*time.Second, "worker metrics", func() bool { return strings.Contains(scrape(t, s.workerAdm), "test.*") })
		for _, m := range []string{scrape(t, s.workerAdm), scrape(t, s.ingestAdm)} {
			if strings.Contains(m, "evil") {
				t.Fatalf("request data became label values:\n%s", grepLines(m, "evil"))
			}
		}
		if n := len(regexp.MustCompile(`hookq_worker_tasks_processed_total\{[^}]*route="app"`).FindAllString(scrape(t, s.workerAdm), -1)); n > 3 {
			t.Fatalf("%d processed series for route app", n)
		}
	})

	// 4. Reordered or re-encoded Twilio parameters keep the signature valid
	// and must keep the id.
	t.Run("TwilioIDStableUnderReencoding", func(t *testing.T) {
		params := [][2]string{{"MessageSid", "SM0001"}, {"AccountSid", "AC0001"}, {"From", "+15550001"}, {"Body", "hello"}, {"MessageStatus", "received"}}
		enc := func(ps [][2]string, f func(string) string) string {
			var parts []string
			for _, p := range ps {
				parts = append(parts, url.QueryEscape(p[0])+"="+f(p[1]))
			}
			return strings.Join(parts, "&")
		}
		reversed := append([][2]string(nil), params...)
		sort.Slice(reversed, func(i, j int) bool { return reversed[i][0] > reversed[j][0] })
		orig := enc(params, url.QueryEscape)
		var ids []string
		for i, b := range []string{
			orig,
			enc(reversed, url.QueryEscape),
			strings.Replace(orig, "Body=hello", "Body=hell%6F", 1),
			strings.Replace(orig, "AccountSid=AC0001", "AccountSidA=C0001", 1),
		} {
			r := s.postTwilio(b)
			want := `"status":"duplicate"`
			if i == 0 {
				want = `"status":"accepted"`
			}
			expect(t, r, 200, want)
			ids = append(ids, regexp.MustCompile(`"event_id":"[^"]*"`).FindString(r.body))
		}
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("ids differ: %v", ids)
			}
		}
	})

	// 11. No traceparent: sampled at sample_ratio (0 here); a sender's
	// sampled traceparent counts only once its request is verified; spans
	// are named only after the source is known.
	t.Run("TracingNotDrivenByStrangers", func(t *testing.T) {
		for i := range 10 {
			if status, resp, _ := s.post("seed", seedBody(fmt.Sprintf("evt_unsampled_%d", i), "test.trace", `{}`), seedSecret); status != 200 {
				t.Fatalf("%d %s", status, resp)
			}
		}
		const tp = "00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		const forgedTP = "00-6bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		s.postRaw(s.ingestURL, "evil-span-name", []byte(`{}`), "application/json", "traceparent", forgedTP)
		if status, _, _ := s.post("seed", seedBody("evt_forged_trace", "test.trace", `{}`), "wrong-secret", "traceparent", forgedTP); status != 401 {
			t.Fatalf("forged: %d", status)
		}
		if status, resp, _ := s.post("seed", seedBody("evt_sampled", "test.trace", `{}`), seedSecret, "traceparent", tp); status != 200 {
			t.Fatalf("%d %s", status, resp)
		}
		eventually(t, 15*time.Second, "the sampled request's span", func() bool { _, ok := rec.find("webhook seed"); return ok })
		time.Sleep(2500 * time.Millisecond) // one more batch interval
		rec.mu.Lock()
		defer rec.mu.Unlock()
		n := 0
		for _, sp := range rec.spans {
			if strings.Contains(sp.name, "evil") {
				t.Errorf("span named from the URL: %q", sp.name)
			}
			if sp.traceID == forgedTP[3:35] {
				t.Errorf("an unverified request continued the sender's sampled trace: %+v", sp)
			}
			if sp.name == "webhook seed" {
				n++
				if sp.traceID != tp[3:35] {
					t.Errorf("unsampled request exported: %+v", sp)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d webhook seed spans, want 1 (the one with a sampled traceparent)", n)
		}
	})

	// 5. 200 connections announcing 1 MiB and sending nothing commit no
	// memory: the first allocation is capped, and bodies past the read
	// limit get 503 at once.
	t.Run("IdleBodiesCostLittle", func(t *testing.T) {
		pid := s.ingest.cmd.Process.Pid
		rss0, heap0 := rssBytes(t, pid), heapInuse(t, s.ingestAdm)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		host := strings.TrimPrefix(s.ingestURL, "http://")
		for range 200 {
			c, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			fmt.Fprintf(c, "POST /webhooks/seed HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-Signature: 00\r\nContent-Length: %d\r\n\r\n", host, 1<<20)
		}
		time.Sleep(1500 * time.Millisecond)
		// RSS alone would hide reserved but untouched buffers: the Go heap
		// in use counts them.
		rss1, heap1 := rssBytes(t, pid), heapInuse(t, s.ingestAdm)
		busy := 0
		for _, c := range conns {
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if line, _ := bufio.NewReader(c).ReadString('\n'); strings.Contains(line, " 503 ") {
				busy++
			}
		}
		t.Logf("200 idle 1 MiB bodies: RSS %d -> %d MiB (+%d MiB), Go heap in use %d -> %d MiB; %d answered 503 at once",
			rss0>>20, rss1>>20, (rss1-rss0)>>20, heap0>>20, heap1>>20, busy)
		if rss1-rss0 > 64<<20 || heap1-heap0 > 64<<20 {
			t.Fatalf("RSS grew by %d MiB, heap by %d MiB; want <= 64 each", (rss1-rss0)>>20, (heap1-heap0)>>20)
		}
		if busy < 200-64 {
			t.Fatalf("%d connections answered 503, want >= %d (64 read slots)", busy, 200-64)
		}
	})
}

type result struct {
	status int
	body   string
}

func expect(t *testing.T, r result, status int, contains ...string) {
	t.Helper()
	for _, c := range contains {
		if !strings.Contains(r.body, c) {
			t.Fatalf("got %d %s, want %d with %s", r.status, r.body, status, c)
		}
	}
	if r.status != status {
		t.Fatalf("got %d %s, want %d", r.status, r.body, status)
	}
}

// postRaw sends body to base/webhooks/source as is, with extra headers.
func (s *stack) postRaw(base, source string, body []byte, ctype string, extra ...string) result {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/"+source, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	status, b, _ := s.do(req, extra...)
	return result{status, b}
}

// postTwilio signs a form body as Twilio does: HMAC-SHA1 of the URL and the
// decoded parameters sorted by name.
func (s *stack) postTwilio(form string) result {
	s.t.Helper()
	vals, err := url.ParseQuery(form)
	if err != nil {
		s.t.Fatal(err)
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	signed := s.ingestURL + "/webhooks/twilio"
	for _, k := range names {
		for _, v := range vals[k] {
			signed += k + v
		}
	}
	m := hmac.New(sha1.New, []byte(twilioToken))
	m.Write([]byte(signed))
	return s.postRaw(s.ingestURL, "twilio", []byte(form), "application/x-www-form-urlencoded",
		"X-Twilio-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// startIngestReplica starts a second ingest on the same Redis and config,
// on its own ports, and returns its public base URL.
func (s *stack) startIngestReplica() string {
	s.t.Helper()
	raw, err := os.ReadFile(s.config)
	if err != nil {
		s.t.Fatal(err)
	}
	pub, adm := freePortString(s.t), freePortString(s.t)
	cfg := strings.Replace(string(raw), strings.TrimPrefix(s.ingestURL, "http://"), "127.0.0.1:"+pub, 1)
	cfg = strings.Replace(cfg, strings.TrimPrefix(s.ingestAdm, "http://"), "127.0.0.1:"+adm, 1)
	path := filepath.Join(s.t.TempDir(), "replica.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		s.t.Fatal(err)
	}
	orig := s.config
	s.config = path
	s.start("ingest")
	s.config = orig
	s.waitOK("http://127.0.0.1:" + adm + "/readyz")
	return "http://127.0.0.1:" + pub
}

func scrape(t *testing.T, admin string) string {
	t.Helper()
	resp, err := http.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	if len(out) > 10 {
		out = append(out[:10], "…")
	}
	return strings.Join(out, "\n")
}

func heapInuse(t *testing.T, admin string) int64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go_memstats_heap_inuse_bytes ([0-9.e+]+)$`).FindStringSubmatch(scrape(t, admin))
	if m == nil {
		t.Fatal("no go_memstats_heap_inuse_bytes")
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return int64(f)
}

func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no VmRSS")
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n << 10
}

func freePortString(t *testing.T) string { return strconv.Itoa(redistest.FreePort(t)) }

func newOTLP(t *testing.T, rec *otlpReceiver) string {
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv.URL
}
