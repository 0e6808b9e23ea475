package proctest

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// script writes an executable that prints its arguments and then sleeps.
func script(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho started \"$@\"\nexec sleep 30\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProc(t *testing.T) {
	for _, logToFile := range []bool{false, true} {
		name := "InMemoryLog"
		if logToFile {
			name = "FileLog"
		}
		t.Run(name, func(t *testing.T) {
			o := Options{Config: "the.yaml", Env: os.Environ()}
			if logToFile {
				o.LogPath = filepath.Join(t.TempDir(), "fake.log")
			}
			p := Start(t, script(t), o)
			if p.Name != "fake" {
				t.Errorf("Name = %q, want the binary's name", p.Name)
			}
			Eventually(t, 5*time.Second, "output", func() bool { return strings.Contains(p.Log(), "started -config the.yaml") })
			if !p.Running() {
				t.Fatal("not running before the kill")
			}
			err := p.Kill9()
			if err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("Kill9 = %v, want a kill", err)
			}
			if p.Running() {
				t.Fatal("running after Kill9")
			}
			select {
			case <-p.Done():
			default:
				t.Fatal("Done not closed after Kill9")
			}
			if again := p.Wait(); again != err {
				t.Fatalf("second Wait = %v, want the first's %v", again, err)
			}
			if logToFile && !strings.Contains(p.Log(), "=== fake exited at ") {
				t.Fatalf("log file lacks the exit line:\n%s", p.Log())
			}
		})
	}
}

func TestServeWaitOKAndSignedRequest(t *testing.T) {
	got := make(chan *http.Request, 2)
	_, base := Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if r.URL.Path == "/down" {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		io.Copy(io.Discard, r.Body)
		got <- r
	}))
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base URL %q is not loopback", base)
	}
	if WaitOK(base+"/down", 200*time.Millisecond) {
		t.Fatal("WaitOK took a 503 for ready")
	}
	if !WaitOK(base+"/up", time.Second) {
		t.Fatal("WaitOK missed a 200")
	}
	for _, secret := range []string{"", "s3cret"} {
		req, err := SignedRequest(base+"/hook", []byte(`{"id":"1"}`), secret)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		r := <-got
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
		}
		if signed := r.Header.Get("X-Signature") != ""; signed != (secret != "") {
			t.Errorf("secret %q: X-Signature = %q", secret, r.Header.Get("X-Signature"))
		}
	}
}

func TestTail(t *testing.T) {
	if got := Tail("abcdef", 3); got != "…def" {
		t.Errorf("Tail = %q", got)
	}
	if got := Tail("ab", 3); got != "ab" {
		t.Errorf("Tail of a short string = %q", got)
	}
}

func TestStopArgsAndMaxLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "polite")
	// Prints a line, a long line, and on SIGTERM its arguments; exits 0.
	src := "#!/bin/sh\ntrap 'echo bye \"$@\"; exit 0' TERM\necho start\nprintf '%3000s' | tr ' ' x\necho\nwhile :; do sleep 0.05; done\n"
	if err := os.WriteFile(path, []byte(src), 0o700); err != nil {
		t.Fatal(err)
	}
	p := Start(t, path, Options{Args: []string{"a", "b"}, MaxLog: 1000})
	Eventually(t, 5*time.Second, "output", func() bool { return strings.Contains(p.Log(), "xxx") })
	if err := p.Stop(5 * time.Second); err != nil {
		t.Fatalf("Stop = %v, want a clean exit on SIGTERM", err)
	}
	log := p.Log()
	if !strings.Contains(log, "bye a b") {
		t.Fatalf("no SIGTERM handling in the log: %q", Tail(log, 200))
	}
	if strings.Contains(log, "start") || len(log) > 1000 {
		t.Fatalf("log kept more than MaxLog: %d bytes", len(log))
	}
}
