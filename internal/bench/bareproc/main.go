// Command bareproc is the baseline hookq is measured against, run as its own
// process like hookq's binaries: "gin ADDR" serves a bare Gin handler that
// reads the body and answers JSON; "drain REDIS_URL QUEUE SINK_URL" runs a
// bare asynq.Server (concurrency 20) whose handler POSTs each payload to the
// sink.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bareproc:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	switch {
	case len(args) == 2 && args[0] == "gin":
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.GET("/healthz", func(c *gin.Context) { c.Status(200) })
		r.POST("/webhooks/:source", func(c *gin.Context) {
			b, _ := io.ReadAll(c.Request.Body)
			c.JSON(200, gin.H{"status": "accepted", "bytes": len(b)})
		})
		srv := &http.Server{Addr: args[1], Handler: r}
		go func() { <-ctx.Done(); srv.Close() }()
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			return err
		}
		return nil
	case len(args) == 4 && args[0] == "drain":
		opt, err := asynq.ParseRedisURI(args[1])
		if err != nil {
			return err
		}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
		srv := asynq.NewServer(opt, asynq.Config{Concurrency: 20, Queues: map[string]int{args[2]: 1}, LogLevel: asynq.ErrorLevel})
		err = srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, args[3], bytes.NewReader(t.Payload()))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("sink answered %d", resp.StatusCode)
			}
			return nil
		}))
		if err != nil {
			return err
		}
		<-ctx.Done()
		srv.Shutdown()
		return nil
	}
	return fmt.Errorf("usage: bareproc gin ADDR | bareproc drain REDIS_URL QUEUE SINK_URL")
}
