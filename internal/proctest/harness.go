package proctest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/sign"
)

// Options say how Start runs one hookq binary.
type Options struct {
	Name    string   // how logs name it; default: the binary's name
	Config  string   // passed as -config
	Args    []string // the arguments instead of -config Config, when not nil
	Env     []string // the whole environment
	LogPath string   // output appended to this file; empty: kept in memory
	MaxLog  int      // in memory, keep about the last MaxLog bytes (0: all)
}

// Proc is one running hookq binary. Nothing reaps it in the background:
// call Wait (once or many times, from any goroutine), or Cmd.Wait directly
// if Wait is never called.
type Proc struct {
	Name    string
	Config  string
	LogPath string
	Cmd     *exec.Cmd
	Started time.Time

	mu  sync.Mutex
	buf bytes.Buffer // output, when LogPath is empty

	once    sync.Once
	waiting atomic.Bool // Wait was called: done tells the rest
	done    chan struct{}
	err     error
}

// Start runs the binary bin with -config o.Config, killed with the test
// process if that dies. At cleanup it is killed if still running, and its
// log's tail is printed if the test failed.
func Start(t testing.TB, bin string, o Options) *Proc {
	t.Helper()
	if o.Name == "" {
		o.Name = filepath.Base(bin)
	}
	p := &Proc{Name: o.Name, Config: o.Config, LogPath: o.LogPath, Started: time.Now(), done: make(chan struct{})}
	args := o.Args
	if args == nil {
		args = []string{"-config", o.Config}
	}
	p.Cmd = exec.Command(bin, args...)
	p.Cmd.Env = o.Env
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var f *os.File
	if o.LogPath != "" {
		var err error
		if f, err = os.OpenFile(o.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "=== start %s at %s\n", p.Name, p.Started.Format(time.RFC3339Nano))
		p.Cmd.Stdout, p.Cmd.Stderr = f, f
	} else {
		w := lockedWriter{&p.mu, &p.buf, o.MaxLog}
		p.Cmd.Stdout, p.Cmd.Stderr = w, w
	}
	if err := p.Cmd.Start(); err != nil {
		if f != nil {
			f.Close()
		}
		t.Fatalf("start %s: %v", p.Name, err)
	}
	if f != nil {
		// The child holds its own copy of the descriptor.
		f.Close()
	}
	t.Cleanup(func() {
		if p.Running() {
			p.Cmd.Process.Kill()
			p.Wait()
		}
		if t.Failed() {
			t.Logf("--- %s log ---\n%s", p.Name, Tail(p.Log(), 4000))
		}
	})
	return p
}

// Wait reaps the process once and returns its exit error to every caller.
func (p *Proc) Wait() error {
	p.waiting.Store(true)
	p.once.Do(func() {
		p.err = p.Cmd.Wait()
		if p.LogPath != "" {
			if f, err := os.OpenFile(p.LogPath, os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
				fmt.Fprintf(f, "=== %s exited at %s: %v\n", p.Name, time.Now().Format(time.RFC3339Nano), p.err)
				f.Close()
			}
		}
		close(p.done)
	})
	return p.err
}

// Done is closed once Wait has reaped the process.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Running reports whether the process has not been reaped, by Wait or by a
// direct Cmd.Wait.
func (p *Proc) Running() bool {
	if p.waiting.Load() {
		select {
		case <-p.done:
			return false
		default:
			return true
		}
	}
	return p.Cmd.ProcessState == nil
}

// Kill9 sends SIGKILL, as a crash or the OOM killer would, and reaps it.
func (p *Proc) Kill9() error {
	p.Cmd.Process.Signal(syscall.SIGKILL)
	return p.Wait()
}

// Stop sends SIGTERM, as an orchestrator would, and reaps the process; it
// is killed if it has not exited within grace.
func (p *Proc) Stop(grace time.Duration) error {
	if !p.Running() {
		return p.Wait()
	}
	p.Cmd.Process.Signal(syscall.SIGTERM)
	go p.Wait()
	select {
	case <-p.done:
	case <-time.After(grace):
		p.Cmd.Process.Kill()
	}
	return p.Wait()
}

// Log is the process's output so far.
func (p *Proc) Log() string {
	if p.LogPath != "" {
		b, err := os.ReadFile(p.LogPath)
		if err != nil {
			return err.Error()
		}
		return string(b)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

type lockedWriter struct {
	mu  *sync.Mutex
	b   *bytes.Buffer
	max int
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	if w.max > 0 && w.b.Len() > w.max { // keep the tail only: logs are for failures
		w.b.Next(w.b.Len() - w.max)
	}
	return n, err
}

// Tail is the last n bytes of s, marked as cut when they are not all of it.
func Tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// WaitOK polls url until it answers 200 and reports whether it did within
// timeout.
func WaitOK(url string, timeout time.Duration) bool {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// Eventually polls cond until it holds, failing the test after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Serve serves h on a fresh loopback port until the test ends and returns
// the server and its base URL, "http://127.0.0.1:PORT". It accepts
// connections on return; closing the server takes the port down early.
func Serve(t testing.TB, h http.Handler) (*http.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return srv, "http://" + ln.Addr().String()
}

// SignedRequest is a JSON POST of body to url, signed as the test configs'
// hmac sources expect (X-Signature); an empty secret leaves it unsigned.
func SignedRequest(url string, body []byte, secret string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		h, err := sign.Sign(sign.Request{Type: "hmac", Header: "X-Signature", Secret: secret, Body: body, Now: time.Now()})
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-Signature", h.Get("X-Signature"))
	}
	return req, nil
}
