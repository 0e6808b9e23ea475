package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// cmdSink prints every request it receives and answers 200: a stand-in for
// the application the forward handler delivers to.
func cmdSink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("listen", "127.0.0.1:9000", "address to listen on")
	status := fs.Int("status", 200, "status to answer with")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var mu sync.Mutex
	srv := &http.Server{Addr: *addr, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		mu.Lock()
		fmt.Fprintf(stdout, "sink: %s %s source=%s event=%s type=%s attempt=%s %d bytes: %.200s\n", r.Method, r.URL.Path,
			r.Header.Get("X-Hookq-Source"), r.Header.Get("X-Hookq-Event-Id"), r.Header.Get("X-Hookq-Event-Type"),
			r.Header.Get("X-Hookq-Attempt"), len(b), b)
		mu.Unlock()
		w.WriteHeader(*status)
	})}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "sink: listening on http://%s\n", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
