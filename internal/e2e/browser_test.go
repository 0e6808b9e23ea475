package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/webhook"
)

// chromiumPath is the browser TestDashboardBrowser drives: Debian's
// /usr/bin/chromium, else a chromium found in PATH, else "".
func chromiumPath() string {
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// moduleRoot is the nearest directory above the working directory that
// holds go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// TestDashboardBrowser drives the Asynqmon dashboard in headless Chromium:
// refused without credentials, the queues table with them, and a
// dead-lettered event on the archived tasks page. It saves full-page
// screenshots to $HOOKQ_ARTIFACTS (default: the test's temp dir).
func TestDashboardBrowser(t *testing.T) {
	if os.Getenv("HOOKQ_BROWSER") != "1" {
		t.Skip("browser test: run `make browser` (or HOOKQ_BROWSER=1 go test -run TestDashboardBrowser ./internal/e2e with chromium installed)")
	}
	chromium := chromiumPath()
	if chromium == "" {
		t.Fatal("HOOKQ_BROWSER=1 but no chromium: neither /usr/bin/chromium nor chromium in PATH (`make browser` installs it with apt-get)")
	}
	// The whole test stays under 90 s: every wait below is bounded, and the
	// browser dies with this context.
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	t.Cleanup(cancel) // after the browser's failure screenshot
	artifacts := artifactsDir(t)
	s := startStack(t, stackOpts{maxRetries: 2})
	okIDs, goneTask := deadLetterOne(t, s)
	dash := s.ingestAdm + "/monitoring/"

	t.Run("HTTPWithoutCredentials", func(t *testing.T) {
		resp, err := http.Get(dash)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
			t.Fatalf("GET %s without credentials = %d (WWW-Authenticate %q), want 401 with a Basic challenge", dash, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if strings.Contains(string(body), `id="root"`) {
			t.Fatal("the 401 answer carries the Asynqmon page")
		}
	})
	if t.Failed() {
		return
	}

	b := startBrowser(t, ctx, chromium, artifacts)

	// No credentials: the document answers 401 and the page shows no
	// Asynqmon UI. Headless Chromium cannot prompt for the Basic challenge,
	// so it ends the navigation with net::ERR_INVALID_AUTH_CREDENTIALS (a
	// browser that can prompt would render the 401 body instead).
	t.Run("BrowserWithoutCredentials", func(t *testing.T) {
		sctx, scancel := context.WithTimeout(b.ctx, 20*time.Second)
		_, err := chromedp.Run(sctx, chromedp.NavigateResponse(dash))
		scancel()
		var loadErr *chromedp.LoadError
		if err != nil && !(errors.As(err, &loadErr) && loadErr.ErrorText == "net::ERR_INVALID_AUTH_CREDENTIALS") {
			t.Fatalf("navigate without credentials: %v", err)
		}
		t.Logf("browser without credentials: navigation error %v", err)
		var status int64
		eventually(t, 5*time.Second, "the browser's response for "+dash, func() bool {
			var ok bool
			status, ok = b.docStatus(dash)
			return ok
		})
		if status != http.StatusUnauthorized {
			t.Fatalf("browser without credentials got %d for %s, want 401", status, dash)
		}
		sctx, scancel = context.WithTimeout(b.ctx, 10*time.Second)
		page, err := chromedp.Run(sctx, chromedp.Evaluate[struct {
			URL  string `json:"url"`
			Root bool   `json:"root"`
			Text string `json:"text"`
		}](`({url: location.href, root: document.getElementById("root") !== null, text: document.body ? document.body.innerText : ""})`))
		scancel()
		if err != nil {
			t.Fatal(err)
		}
		if page.Root || strings.Contains(page.Text, "Queues") || strings.Contains(page.Text, queue.Queue) {
			t.Fatalf("unauthenticated page shows the UI: root=%v text=%q", page.Root, page.Text)
		}
		t.Logf("browser without credentials shows %s: %q (no Asynqmon root element)", page.URL, tail(strings.Join(strings.Fields(page.Text), " "), 200))
	})

	// With credentials on every request (the SPA's API calls included): the
	// queues table lists the queue. The next step keeps these credentials.
	if !t.Run("QueuesTableWithCredentials", func(t *testing.T) {
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:dash-pass"))
		within(t, b.ctx, 20*time.Second, "the queues table listing "+queue.Queue, func(ctx context.Context) error {
			if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
				return err
			}
			nav, err := chromedp.Run(ctx, chromedp.NavigateResponse(dash))
			if err != nil {
				return err
			}
			if nav.Status != http.StatusOK {
				return fmt.Errorf("%s answered %d with credentials", dash, nav.Status)
			}
			return chromedp.Do(ctx, chromedp.WaitVisible(`//table//a[normalize-space(.)="`+queue.Queue+`"]`))
		})
		shoot(t, b.ctx, filepath.Join(artifacts, "dashboard-queues.png"))
	}) {
		return
	}

	// The archived tasks of the queue (Asynqmon's route
	// /queues/:qname?status=archived) list the dead-lettered task, and only it.
	t.Run("ArchivedTasksPage", func(t *testing.T) {
		archivedURL := s.ingestAdm + "/monitoring/queues/" + queue.Queue + "?status=archived"
		row := `//table//tr[.//*[contains(normalize-space(.), "` + goneTask + `")]]`
		var rowText string
		within(t, b.ctx, 20*time.Second, goneTask+" on the archived tasks page", func(ctx context.Context) error {
			nav, err := chromedp.Run(ctx, chromedp.NavigateResponse(archivedURL))
			if err != nil {
				return err
			}
			if nav.Status != http.StatusOK {
				return fmt.Errorf("%s answered %d", archivedURL, nav.Status)
			}
			if err := chromedp.Do(ctx, chromedp.WaitVisible(row)); err != nil {
				return err
			}
			rowText, err = chromedp.Run(ctx, chromedp.Text(row))
			return err
		})
		t.Logf("archived row: %q", rowText)
		if !strings.Contains(rowText, "410") {
			t.Fatalf("archived row lacks the destination's 410: %q", rowText)
		}
		shoot(t, b.ctx, filepath.Join(artifacts, "dashboard-archived.png"))
		for _, id := range okIDs {
			var listed bool
			within(t, b.ctx, 5*time.Second, "checking "+id+" is not archived", func(ctx context.Context) (err error) {
				listed, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.body.innerText.includes(`+strconv.Quote(id)+`)`))
				return err
			})
			if listed {
				t.Fatalf("delivered event %s is listed among the archived tasks", id)
			}
		}
	})
}

// artifactsDir is where screenshots go: $HOOKQ_ARTIFACTS, a relative one
// taken from the module root (go test runs in the package directory, and
// `make browser` says bin/artifacts), else the test's temp dir.
func artifactsDir(t *testing.T) string {
	t.Helper()
	artifacts := os.Getenv("HOOKQ_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	} else {
		if !filepath.IsAbs(artifacts) {
			artifacts = filepath.Join(moduleRoot(t), artifacts)
		}
		if err := os.MkdirAll(artifacts, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots go to %s", artifacts)
	return artifacts
}

// deadLetterOne sends two events the sink takes and one it refuses with 410,
// waits for the two deliveries and for the third to be archived, and
// returns the delivered ids and the archived task's id.
func deadLetterOne(t *testing.T, s *stack) (okIDs []string, goneTask string) {
	t.Helper()
	const goneID = "evt_browser_gone"
	okIDs = []string{"evt_browser_ok_1", "evt_browser_ok_2"}
	s.sink.setRespond(func(d delivery, n int) (int, time.Duration) {
		if d.EventID == goneID {
			return 410, 0
		}
		return 200, 0
	})
	for _, id := range append(okIDs, goneID) {
		if status, resp, _ := s.post("seed", seedBody(id, "test.browser", `{"note":"dashboard browser test"}`), seedSecret); status != 200 {
			t.Fatalf("%s: %d %s", id, status, resp)
		}
	}
	for _, id := range okIDs {
		eventually(t, 10*time.Second, id+" delivered", func() bool { return len(s.sink.deliveries(id)) == 1 })
	}
	goneTask = webhook.TaskID("seed", "app", goneID)
	insp := asynq.NewInspectorFromRedisClient(s.redis.Client())
	var lastErr string
	eventually(t, 10*time.Second, goneID+" archived (dead-lettered)", func() bool {
		info, err := insp.GetTaskInfo(queue.Queue, goneTask)
		if err != nil || info.State != asynq.TaskStateArchived {
			return false
		}
		lastErr = info.LastErr
		return true
	})
	t.Logf("dead-lettered %s: %s", goneTask, lastErr)
	return okIDs, goneTask
}

// browser is a headless Chromium that records what its pages fetched and
// threw: the statuses of documents for the assertions, everything for the
// failure messages.
type browser struct {
	ctx    context.Context // the browser lives on it
	mu     sync.Mutex
	events []string
	docs   map[string]int64 // document URL -> status
}

func (b *browser) note(format string, args ...any) {
	b.mu.Lock()
	b.events = append(b.events, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
	b.mu.Unlock()
}

func (b *browser) docStatus(url string) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.docs[url]
	return st, ok
}

// startBrowser starts Chromium, run as root in a container, with nothing
// beyond localhost. It stops when ctx ends or the test does; if the test
// failed, its events, output and a screenshot are kept.
func startBrowser(t *testing.T, ctx context.Context, chromium, artifacts string) *browser {
	t.Helper()
	var chromeOut lockedBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
		chromedp.CombinedOutput(&chromeOut),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(allocCancel)
	bctx, bcancel := chromedp.NewContext(allocCtx)
	t.Cleanup(bcancel)
	b := &browser{ctx: bctx, docs: map[string]int64{}}
	if err := chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventResponseReceived:
			b.note("%d %s %s", ev.Response.Status, ev.Type, ev.Response.URL)
			if ev.Type == network.ResourceTypeDocument {
				b.mu.Lock()
				b.docs[ev.Response.URL] = ev.Response.Status
				b.mu.Unlock()
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			if d.Exception != nil && d.Exception.Description != "" {
				b.note("exception: %s", d.Exception.Description)
			} else {
				b.note("exception: %s (%s:%d)", d.Text, d.URL, d.LineNumber)
			}
		}
	}); err != nil {
		t.Fatalf("start chromium %s: %v\n%s", chromium, err, tail(withoutDBus(chromeOut.String()), 3000))
	}
	t.Cleanup(func() { // before the browser stops
		if !t.Failed() {
			return
		}
		b.mu.Lock()
		t.Logf("browser events:\n%s", strings.Join(b.events, "\n"))
		b.mu.Unlock()
		t.Logf("chromium output (D-Bus noise left out):\n%s", tail(withoutDBus(chromeOut.String()), 3000))
		sctx, scancel := context.WithTimeout(bctx, 5*time.Second)
		defer scancel()
		if png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)); err == nil {
			save(t, filepath.Join(artifacts, "dashboard-failure.png"), png)
		} else {
			t.Logf("no failure screenshot: %v", err)
		}
	})
	return b
}

// within runs f with a context bounded by d, and fails the test on its error.
func within(t *testing.T, bctx context.Context, d time.Duration, what string, f func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, d)
	defer cancel()
	if err := f(ctx); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// shoot saves a full-page PNG screenshot of the current page, after a short
// pause for the UI's transitions to settle.
func shoot(t *testing.T, bctx context.Context, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Sleep(700*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 = PNG
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s is not a PNG", path)
	}
	save(t, path, png)
}

func save(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s (%d bytes)", path, len(b))
}

// withoutDBus drops Chromium's complaints about the missing D-Bus, which a
// container always has and which bury the lines that matter.
func withoutDBus(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, ":ERROR:dbus/") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
