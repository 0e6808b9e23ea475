package ingest_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/ingest"
	"github.com/hookq/hookq/internal/obs"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/redistest"
	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// BenchmarkIngest measures the hot path side by side with a bare Gin
// handler that only reads the body, both over real loopback HTTP with
// parallel keep-alive clients; hookq's includes the real Redis round trip.
// `make bench` prints the throughput ratio bare/hookq of the two ns/op.
func BenchmarkIngest(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	body := func(n int64) []byte {
		return []byte(`{"id":"evt_` + strconv.FormatInt(n, 10) + `","type":"payment_success","data":{"payment_id":"pay_1","amount":5000,"currency":"PKR","pad":"` +
			string(bytes.Repeat([]byte("x"), 700)) + `"}}`)
	}
	b.Run("bare", func(b *testing.B) {
		r := gin.New()
		r.POST("/webhooks/:source", func(c *gin.Context) {
			b, _ := io.ReadAll(c.Request.Body)
			c.JSON(200, gin.H{"status": "accepted", "bytes": len(b)})
		})
		runLoad(b, r, body)
	})
	b.Run("hookq", func(b *testing.B) {
		srv := redistest.Start(b)
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 64, ContextTimeoutEnabled: true})
		defer rdb.Close()
		v, _ := verify.New(verify.Spec{Type: "hmac", Header: "X-Signature", Secrets: []verify.Secret{"bench-secret"}})
		sources := map[string]*ingest.Source{"seed": {Name: "seed", Type: "hmac", Verifier: v, DedupeTTL: time.Hour,
			EventID: verify.Field{JSON: "id"}, EventType: verify.Field{JSON: "type"},
			Routes: []ingest.Route{{Task: webhook.Task{Route: "app", MaxRetry: 8, Timeout: 15 * time.Second}}}}}
		// As in production: a JSON info log line and the metrics per request.
		log, _ := obs.NewLogger(io.Discard, "info")
		m := obs.NewIngestMetrics(prometheus.NewRegistry())
		h := ingest.NewServer(log, sources, queue.NewEnqueuer(rdb), queue.NewTokens(rdb), m, ingest.Options{})
		runLoad(b, h, body)
	})
}

func runLoad(b *testing.B, h http.Handler, body func(int64) []byte) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	server := &http.Server{Handler: h}
	go server.Serve(ln)
	defer server.Close()
	url := "http://" + ln.Addr().String() + "/webhooks/seed"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var seq atomic.Int64
	base := time.Now().UnixNano()
	b.SetParallelism(8) // 8 × GOMAXPROCS concurrent senders
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := body(base + seq.Add(1))
			hdr, _ := sign.Sign(sign.Request{Type: "hmac", Header: "X-Signature", Secret: "bench-secret", Body: p})
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(p))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Signature", hdr.Get("X-Signature"))
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
