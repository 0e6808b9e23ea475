package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// sinkMaxBody is the largest body the sink takes: ingest's default limit,
// so anything hookq forwards fits.
const sinkMaxBody = 1 << 20

// sinkCmd prints every request it receives and answers -status: a stand-in
// for the application the forward handler delivers to.
func sinkCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	addr := fs.String("listen", "127.0.0.1:9000", "address to listen on")
	status := fs.Int("status", 200, "status to answer with")
	return func(ctx context.Context, _ []string) error {
		var mu sync.Mutex
		srv := &http.Server{Addr: *addr, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sinkMaxBody))
			mu.Lock()
			fmt.Fprintf(e.stdout, "sink: %s %s source=%s event=%s type=%s attempt=%s %d bytes: %.200s\n", r.Method, r.URL.Path,
				r.Header.Get("X-Hookq-Source"), r.Header.Get("X-Hookq-Event-Id"), r.Header.Get("X-Hookq-Event-Type"),
				r.Header.Get("X-Hookq-Attempt"), len(b), b)
			mu.Unlock()
			if err != nil {
				http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
				return
			}
			w.WriteHeader(*status)
		})}
		go func() {
			<-ctx.Done()
			srv.Close()
		}()
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		mu.Lock()
		fmt.Fprintf(e.stdout, "sink: listening on http://%s\n", ln.Addr()) // the real port, for -listen host:0
		mu.Unlock()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
