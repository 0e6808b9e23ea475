// Package redistest starts a private redis-server for tests: a free port, its
// own data directory, never the machine's shared Redis. A test that needs
// Redis fails (it does not skip) when redis-server is missing, unless
// HOOKQ_SKIP_REDIS_TESTS=1 is set explicitly.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running redis-server owned by one test.
type Server struct {
	tb   testing.TB
	Port int
	Dir  string
	aof  bool
	args []string
	cmd  *exec.Cmd
}

// Option tweaks the server.
type Option func(*Server)

// WithAOF turns on appendonly with appendfsync always, for tests that kill
// and restart Redis and expect acknowledged writes to survive.
func WithAOF() Option { return func(s *Server) { s.aof = true } }

// WithArgs passes extra redis-server arguments (after the defaults, so they
// win), e.g. "--appendonly", "yes", "--appendfsync", "everysec".
func WithArgs(args ...string) Option { return func(s *Server) { s.args = append(s.args, args...) } }

// Start starts redis-server and stops it when tb ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	if os.Getenv("HOOKQ_SKIP_REDIS_TESTS") == "1" {
		tb.Skip("HOOKQ_SKIP_REDIS_TESTS=1")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Fatalf("redis-server not found in PATH (make test installs it): %v", err)
	}
	s := &Server{tb: tb, Port: FreePort(tb), Dir: tb.TempDir()}
	for _, o := range opts {
		o(s)
	}
	s.start()
	tb.Cleanup(func() { s.Kill() })
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// URL is a redis:// URL for database 0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Client returns a go-redis client closed when the test ends.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	s.tb.Cleanup(func() { c.Close() })
	return c
}

// Client starts a private redis-server and returns a client to it, for a
// test that needs Redis but not the server itself; both end with tb.
func Client(tb testing.TB, opts ...Option) *redis.Client {
	tb.Helper()
	return Start(tb, opts...).Client()
}

func (s *Server) start() {
	s.tb.Helper()
	args := []string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--maxmemory-policy", "noeviction", "--logfile", filepath.Join(s.Dir, "redis.log")}
	if s.aof {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	args = append(args, s.args...)
	s.cmd = exec.Command("redis-server", args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := c.Ping(context.Background()).Err(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
			s.tb.Fatalf("redis-server on %s did not answer within 10s; log:\n%s", s.Addr(), log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL to redis-server (as a crash would) and waits for it.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// Stop pauses the process with SIGSTOP (a stalled Redis); Cont resumes it.
func (s *Server) Stop() { s.cmd.Process.Signal(syscall.SIGSTOP) }

// Cont resumes a stopped server.
func (s *Server) Cont() { s.cmd.Process.Signal(syscall.SIGCONT) }

// Restart starts redis-server again on the same port and data directory.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Kill()
	s.start()
}

// FreePort returns a TCP port that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// String describes the server for failure messages.
func (s *Server) String() string { return fmt.Sprintf("redis-server %s (dir %s)", s.Addr(), s.Dir) }
