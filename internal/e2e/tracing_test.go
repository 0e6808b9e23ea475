package e2e

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

type span struct{ name, traceID, spanID, parentID, service string }

// otlpReceiver is a minimal OTLP/HTTP trace collector.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []span
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	var msg coltrace.ExportTraceServiceRequest
	if req.URL.Path != "/v1/traces" || proto.Unmarshal(b, &msg) != nil {
		http.Error(w, "bad export", 400)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range msg.ResourceSpans {
		svc := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				svc = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				r.spans = append(r.spans, span{sp.Name, hex.EncodeToString(sp.TraceId), hex.EncodeToString(sp.SpanId), hex.EncodeToString(sp.ParentSpanId), svc})
			}
		}
	}
	w.WriteHeader(200)
}

func (r *otlpReceiver) find(name string) (span, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.spans {
		if s.name == name {
			return s, true
		}
	}
	return span{}, false
}

// With tracing configured, the provider's trace continues through an
// ingest span, a worker span (its child) and on to the destination.
func TestTracingExportsJoinedSpans(t *testing.T) {
	rec := &otlpReceiver{}
	collector := httptest.NewServer(rec)
	defer collector.Close()
	s := startStack(t, stackOpts{otlp: collector.URL})
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	if status, resp, _ := s.post("seed", seedBody("evt_otel", "test.otel", `{}`), seedSecret, "traceparent", tp); status != 200 {
		t.Fatalf("%d %s", status, resp)
	}
	eventually(t, 10*time.Second, "delivery", func() bool { return len(s.sink.deliveries("evt_otel")) == 1 })
	var in, task span
	eventually(t, 15*time.Second, "spans exported by ingest and worker", func() bool {
		var ok1, ok2 bool
		in, ok1 = rec.find("webhook seed")
		task, ok2 = rec.find("task app")
		return ok1 && ok2
	})
	if in.traceID != tp[3:35] || in.parentID != tp[36:52] || in.service != "hookq-ingest" {
		t.Fatalf("ingest span = %+v, want trace %s, parent %s", in, tp[3:35], tp[36:52])
	}
	if task.traceID != in.traceID || task.parentID != in.spanID || task.service != "hookq-worker" {
		t.Fatalf("worker span = %+v, want child of %+v", task, in)
	}
	got := s.sink.deliveries("evt_otel")[0].Traceparent
	if got != "00-"+task.traceID+"-"+task.spanID+"-01" {
		t.Fatalf("destination traceparent = %s, want the worker span %s", got, task.spanID)
	}
}
