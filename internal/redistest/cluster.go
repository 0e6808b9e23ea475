package redistest

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookq/hookq/internal/redisconn"
)

// Cluster is a Redis Cluster of three masters and three replicas on
// loopback ports, created by redis-cli --cluster create as an operator
// would. Its nodes time out after 5 s (cluster-node-timeout 5000) and keep
// serving the slots they have when others are down
// (cluster-require-full-coverage no).
type Cluster struct {
	tb    testing.TB
	Nodes []*Server
}

// StartCluster starts the six nodes, creates the cluster, and waits until
// every node reports cluster_state:ok and every replica has synced. spares
// more nodes join as further replicas of the master of slot 0, so that a
// failover of that master leaves the new master a replica to acknowledge
// writes (redis.ack_replicas).
func StartCluster(tb testing.TB, spares int) *Cluster {
	tb.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		tb.Fatalf("redis-cli not found in PATH (it ships with redis-server): %v", err)
	}
	c := &Cluster{tb: tb}
	addrs := make([]string, 0, 6)
	start := func() *Server {
		// The cluster bus port is chosen too: port+10000 may not exist.
		return Start(tb, WithArgs("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(FreePort(tb)), "--cluster-node-timeout", "5000",
			"--cluster-require-full-coverage", "no", "--appendonly", "yes", "--appendfsync", "everysec"))
	}
	for range 6 {
		s := start()
		c.Nodes = append(c.Nodes, s)
		addrs = append(addrs, s.Addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	if spares > 0 {
		m, err := c.MasterOf(context.Background(), 0)
		if err != nil {
			tb.Fatal(err)
		}
		for range spares {
			s := start()
			c.Nodes = append(c.Nodes, s)
			if out, err := exec.Command("redis-cli", "--cluster", "add-node", s.Addr(), m.Addr(), "--cluster-slave").CombinedOutput(); err != nil {
				tb.Fatalf("redis-cli --cluster add-node: %v\n%s", err, out)
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range c.Nodes {
		rc := n.Client()
		for {
			info, _ := rc.ClusterInfo(context.Background()).Result()
			repl, _ := rc.Info(context.Background(), "replication").Result()
			if strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(c.Nodes))) &&
				(strings.Contains(repl, "role:master") || strings.Contains(repl, "master_link_status:up")) {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("%s never joined the cluster:\n%s\n%s", n, info, repl)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return c
}

// URL is the redis-cluster:// URL listing every node as a seed.
func (c *Cluster) URL() string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr()
	}
	return "redis-cluster://" + strings.Join(addrs, ",")
}

// Client opens a client on the cluster's URL the way hookq's commands do
// (redisconn), with short timeouts and poolSize connections per node, and
// closes it when tb ends.
func (c *Cluster) Client(tb testing.TB, poolSize int) redis.UniversalClient {
	tb.Helper()
	spec, err := redisconn.Parse(c.URL())
	if err != nil {
		tb.Fatal(err)
	}
	rdb, err := spec.Client(redisconn.Tuning{DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, PoolSize: poolSize})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// MasterOf asks the live nodes which one serves slot as master now.
func (c *Cluster) MasterOf(ctx context.Context, slot int) (*Server, error) {
	var last error
	for _, n := range c.Nodes {
		if n.cmd == nil {
			continue
		}
		rc := redis.NewClient(&redis.Options{Addr: n.Addr()})
		//lint:ignore SA1019 CLUSTER SLOTS still answers on Redis 7 and gives each range's master first, which is all this needs.
		ranges, err := rc.ClusterSlots(ctx).Result()
		rc.Close()
		if err != nil {
			last = err
			continue
		}
		for _, r := range ranges {
			if slot >= int(r.Start) && slot <= int(r.End) && len(r.Nodes) > 0 {
				for _, m := range c.Nodes {
					if m.Addr() == r.Nodes[0].Addr {
						return m, nil
					}
				}
			}
		}
		last = errSlotUnknown
	}
	return nil, last
}

type slotError string

func (e slotError) Error() string { return string(e) }

const errSlotUnknown = slotError("no live node serves the slot")

// Masters lists the current masters, by address.
func (c *Cluster) Masters(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for slot := 0; slot < 16384; slot += 16384 / 64 {
		m, err := c.MasterOf(ctx, slot)
		if err != nil {
			return nil, err
		}
		if !seen[m.Addr()] {
			seen[m.Addr()] = true
			out = append(out, m.Addr())
		}
	}
	return out, nil
}
