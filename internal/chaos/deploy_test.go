package chaos

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hookq/hookq/internal/redistest"
)

// A deployment of several ingest and worker processes with several routes,
// on the harness's processes (cluster.start, kill9, waitReady), sink and load.

// routeSpec is one route of a generated config; every route takes every
// event of the chaos source.
type routeSpec struct {
	name        string
	url         string
	timeout     time.Duration
	maxInFlight int
}

// deployment is a cluster whose processes the test starts one by one.
type deployment struct {
	*cluster
	routes      []routeSpec
	concurrency int
	ingests     []endpoint
	workerEnds  []endpoint
}

type endpoint struct {
	url, admin string
	proc       *proc
}

// newDeployment starts a private Redis (AOF, appendfsync always, as the
// chaos test's) and nothing else.
func newDeployment(t *testing.T, concurrency int, routes []routeSpec) *deployment {
	t.Helper()
	c := newCluster(t)
	// Runs before newCluster's cleanup decides on the directory: kills what
	// the deployment started and, on failure, prints the logs' tails.
	t.Cleanup(func() {
		c.mu.Lock()
		procs := c.procs
		c.mu.Unlock()
		for _, p := range procs {
			if p.running() {
				p.cmd.Process.Kill()
				<-p.done
			}
		}
		if t.Failed() {
			for _, p := range procs {
				if !p.killed || p.err != nil {
					t.Logf("--- %s (%s) ---\n%s", p.name, p.logPath, tailFile(p.logPath, 3000))
				}
			}
		}
	})
	return &deployment{cluster: c, routes: routes, concurrency: concurrency}
}

// addIngest starts one more ingest process and waits for its /readyz.
func (d *deployment) addIngest() endpoint {
	d.t.Helper()
	pub, adm := redistest.FreePort(d.t), redistest.FreePort(d.t)
	name := fmt.Sprintf("ingest%d", len(d.ingests))
	cfg := d.config(name+".yaml", pub, adm, redistest.FreePort(d.t))
	e := endpoint{url: fmt.Sprintf("http://127.0.0.1:%d", pub), admin: fmt.Sprintf("http://127.0.0.1:%d", adm)}
	e.proc = d.start(name, "ingest", cfg)
	d.waitReady(e.admin, 15*time.Second)
	d.ingests = append(d.ingests, e)
	return e
}

// addWorkers starts n worker processes and waits for each one's /readyz.
func (d *deployment) addWorkers(n int) {
	d.t.Helper()
	for range n {
		wadm := redistest.FreePort(d.t)
		name := fmt.Sprintf("worker%d", len(d.workerEnds))
		cfg := d.config(name+".yaml", redistest.FreePort(d.t), redistest.FreePort(d.t), wadm)
		e := endpoint{admin: fmt.Sprintf("http://127.0.0.1:%d", wadm)}
		e.proc = d.start(name, "worker", cfg)
		d.workerEnds = append(d.workerEnds, e)
	}
	for _, e := range d.workerEnds {
		d.waitReady(e.admin, 15*time.Second)
	}
}

func (d *deployment) config(name string, pub, adm, wadm int) string {
	d.t.Helper()
	var routes strings.Builder
	for _, r := range d.routes {
		fmt.Fprintf(&routes, `  - name: %s
    source: %s
    handler: forward
    url: %s
    timeout: %s
    max_retries: 25
    backoff: { base: 1s, max: 2s }
    max_in_flight: %d
`, r.name, chaosSource, r.url, r.timeout, r.maxInFlight)
	}
	// Every log line: the test counts them.
	return d.writeConfig(name, pub, adm, wadm, d.concurrency, "{ level: info, sample_first: -1 }", routes.String())
}

// quantile returns the q-quantile (0..1) of ds, nearest rank; 0 for none.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// deliveryLatencies is, for each acknowledged event the sink got, the time
// from ingest's 200 reaching the client to the sink's first 2xx (0 when the
// delivery beat the answer), and how many acknowledged events it lacks.
func deliveryLatencies(acked map[string]ack, got map[string]sinkRec) (ds []time.Duration, undelivered int) {
	for id, a := range acked {
		r, ok := got[id]
		if !ok || r.ok == 0 {
			undelivered++
			continue
		}
		ds = append(ds, max(0, r.firstOK.Sub(a.at)))
	}
	return ds, undelivered
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
