package worker

import (
	"fmt"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Servers is several Asynq servers in one process, sharing its handler
// concurrency. An Asynq server fetches in one loop, one task per Redis round
// trip, and hands each task to the heartbeater over unbuffered channels: that
// loop, not the handlers, caps one server's throughput. Each extra server
// adds a fetch loop (and its own heartbeat, recoverer and health check),
// which helps while a core is free.
type Servers struct {
	srvs []*asynq.Server
}

// NewServers returns n servers on rdb whose Concurrency adds up to
// cfg.Concurrency; every other setting is cfg's.
func NewServers(rdb redis.UniversalClient, n int, cfg asynq.Config) *Servers {
	n = max(1, min(n, cfg.Concurrency))
	s := &Servers{}
	total := cfg.Concurrency
	for i := range n {
		c := cfg
		c.Concurrency = total / n
		if i < total%n {
			c.Concurrency++
		}
		s.srvs = append(s.srvs, asynq.NewServerFromRedisClient(rdb, c))
	}
	return s
}

// Start starts every server with h; on an error it stops those started.
func (s *Servers) Start(h asynq.Handler) error {
	for i, srv := range s.srvs {
		if err := srv.Start(h); err != nil {
			for _, started := range s.srvs[:i] {
				started.Shutdown()
			}
			return fmt.Errorf("asynq server %d of %d: %w", i+1, len(s.srvs), err)
		}
	}
	return nil
}

// Shutdown stops fetching on every server at once, then waits for each one's
// in-flight handlers up to its ShutdownTimeout.
func (s *Servers) Shutdown() {
	for _, srv := range s.srvs {
		srv.Stop() // stop fetching everywhere before waiting on any
	}
	var wg sync.WaitGroup
	for _, srv := range s.srvs {
		wg.Add(1)
		go func() { defer wg.Done(); srv.Shutdown() }()
	}
	wg.Wait()
}

// Len is the number of servers.
func (s *Servers) Len() int { return len(s.srvs) }
