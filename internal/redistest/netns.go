package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Net is a private IPv4 network for partition tests, built from network
// namespaces: the test's own namespace ("host") and an island namespace
// are joined through a bridge that lives in a third, switch namespace.
// Cut takes the island's bridge port down: packets between the island and
// the host are then dropped silently, as a failed switch would drop them,
// and TCP connections stay open, waiting. A second link, the side door,
// joins the island and the host directly and is never cut, so that a
// process in the island (an ingest next to the old master) stays reachable
// from the test, as the internet would reach it.
//
// Everything is created with `ip` and removed when the test ends, also on
// failure; names carry the test process's pid, and namespaces left behind by
// a test process that no longer runs are removed first.
type Net struct {
	tb       testing.TB
	Island   string // the island's namespace name, for `ip netns exec`
	IslandIP string // the island's address on the bridge
	HostIP   string // the host's address on the bridge
	DoorIP   string // the island's address on the side door
	sw       string
	cut      bool
}

var netSeq atomic.Int32

const netPrefix = "hookq-"

// NewNet builds the network, or skips the test with the reason when it
// cannot: not root, no `ip`, or namespaces, veth pairs or bridges refused.
func NewNet(tb testing.TB) *Net {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("partition tests need root: they create network namespaces and veth pairs")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		tb.Skip("partition tests need iproute2's ip: ", err)
	}
	sweepNets()
	seq := int(netSeq.Add(1))
	id := fmt.Sprintf("%d-%d", os.Getpid(), seq)
	n := &Net{tb: tb, Island: netPrefix + id + "-isl", sw: netPrefix + id + "-sw"}
	// Interface names in the host namespace are limited to 15 bytes.
	short := fmt.Sprintf("hq%x%02x", os.Getpid(), seq%256)
	hostBr, hostDoor := short+"b", short+"d"
	sub := freeSubnet(tb, seq)
	n.IslandIP, n.HostIP = fmt.Sprintf("10.231.%d.1", sub), fmt.Sprintf("10.231.%d.2", sub)
	n.DoorIP = fmt.Sprintf("10.231.%d.129", sub)
	hostDoorIP := fmt.Sprintf("10.231.%d.130", sub)

	if err := ipRun("netns", "add", n.sw); err != nil {
		tb.Skip("network namespaces unavailable: ", err)
	}
	tb.Cleanup(n.remove)
	steps := [][]string{
		{"netns", "add", n.Island},
		{"-n", n.sw, "link", "add", "br0", "type", "bridge"},
		{"-n", n.sw, "link", "set", "br0", "up"},
		// host <-> switch
		{"link", "add", hostBr, "type", "veth", "peer", "name", "host", "netns", n.sw},
		{"-n", n.sw, "link", "set", "host", "master", "br0"},
		{"-n", n.sw, "link", "set", "host", "up"},
		{"addr", "add", n.HostIP + "/25", "dev", hostBr},
		{"link", "set", hostBr, "up"},
		// island <-> switch
		{"-n", n.Island, "link", "add", "eth0", "type", "veth", "peer", "name", "island", "netns", n.sw},
		{"-n", n.sw, "link", "set", "island", "master", "br0"},
		{"-n", n.sw, "link", "set", "island", "up"},
		{"-n", n.Island, "addr", "add", n.IslandIP + "/25", "dev", "eth0"},
		{"-n", n.Island, "link", "set", "eth0", "up"},
		{"-n", n.Island, "link", "set", "lo", "up"},
		// island <-> host, the side door
		{"link", "add", hostDoor, "type", "veth", "peer", "name", "door", "netns", n.Island},
		{"addr", "add", hostDoorIP + "/30", "dev", hostDoor},
		{"link", "set", hostDoor, "up"},
		{"-n", n.Island, "addr", "add", n.DoorIP + "/30", "dev", "door"},
		{"-n", n.Island, "link", "set", "door", "up"},
	}
	for _, s := range steps {
		if err := ipRun(s...); err != nil {
			tb.Skip("veth pairs or bridges unavailable: ", err)
		}
	}
	return n
}

// Command is a command run inside the island.
func (n *Net) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Island, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// Cut isolates the island from the host (the side door stays open).
func (n *Net) Cut() {
	n.tb.Helper()
	if err := ipRun("-n", n.sw, "link", "set", "island", "down"); err != nil {
		n.tb.Fatal(err)
	}
	n.cut = true
}

// Heal joins the island to the host again.
func (n *Net) Heal() {
	n.tb.Helper()
	if err := ipRun("-n", n.sw, "link", "set", "island", "up"); err != nil {
		n.tb.Fatal(err)
	}
	n.cut = false
}

func (n *Net) remove() {
	// Deleting a namespace destroys its veth ends and so their peers.
	for _, ns := range []string{n.Island, n.sw} {
		if err := ipRun("netns", "del", ns); err != nil && !strings.Contains(err.Error(), "No such file") {
			n.tb.Logf("remove namespace %s: %v", ns, err)
		}
	}
}

func ipRun(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// sweepNets removes namespaces of earlier test processes that died without
// cleaning up (kill -9, a timeout).
func sweepNets() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, netPrefix)
		if !ok {
			continue
		}
		pid, _, _ := strings.Cut(rest, "-")
		if p, err := strconv.Atoi(pid); err == nil && dead(p) {
			ipRun("netns", "del", name)
		}
	}
	// A namespace outlives its unmounting while the kernel still holds
	// sockets of killed processes; its veth peers here go with the links.
	out, _ = exec.Command("ip", "-o", "link").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		// hq<pid in hex><sequence, 2 hex digits><b|d>
		if len(name) < 6 || !strings.HasPrefix(name, "hq") || !strings.ContainsAny(name[len(name)-1:], "bd") {
			continue
		}
		if p, err := strconv.ParseInt(name[2:len(name)-3], 16, 32); err == nil && dead(int(p)) {
			ipRun("link", "del", name)
		}
	}
}

func dead(pid int) bool {
	if pid == os.Getpid() {
		return false
	}
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return os.IsNotExist(err)
}

// freeSubnet picks a 10.231.N.0/24 no interface of the host uses.
func freeSubnet(tb testing.TB, seq int) int {
	out, err := exec.Command("ip", "-4", "-o", "addr").Output()
	if err != nil {
		tb.Skip("ip -4 addr: ", err)
	}
	start := (os.Getpid()*7 + seq) % 256
	for i := 0; i < 256; i++ {
		n := (start + i) % 256
		if !strings.Contains(string(out), fmt.Sprintf(" 10.231.%d.", n)) {
			return n
		}
	}
	tb.Skip("no free 10.231.N.0/24")
	return 0
}

// NetServer is a redis-server running inside the island.
type NetServer struct {
	Host string
	Port int
	Dir  string
	cmd  *exec.Cmd
}

// Addr is host:port.
func (s *NetServer) Addr() string { return s.Host + ":" + strconv.Itoa(s.Port) }

// Kill sends SIGKILL and waits.
func (s *NetServer) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// StartRedis starts redis-server in the island on its bridge address, with
// extra arguments args, and waits until it answers from the host.
func (n *Net) StartRedis(args ...string) *NetServer {
	n.tb.Helper()
	s := &NetServer{Host: n.IslandIP, Port: FreePort(n.tb), Dir: n.tb.TempDir()}
	all := append([]string{"--port", strconv.Itoa(s.Port), "--bind", s.Host, "127.0.0.1", "--protected-mode", "no",
		"--dir", s.Dir, "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction",
		"--logfile", filepath.Join(s.Dir, "redis.log")}, args...)
	s.cmd = n.Command("redis-server", all...)
	if err := s.cmd.Start(); err != nil {
		n.tb.Fatalf("start redis-server in %s: %v", n.Island, err)
	}
	n.tb.Cleanup(s.Kill)
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
			n.tb.Fatalf("redis-server %s in %s did not answer within 10s; log:\n%s", s.Addr(), n.Island, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// PartitionSet is a Sentinel set whose first master lives in the island of
// net, and whose replicas and three Sentinels run in the host namespace,
// listening on loopback and on the host's bridge address (which is what
// the Sentinels announce and the URL names, so that a process in the island
// reaches them too while the bridge is up). The embedded SentinelSet's
// Master is nil: the master is OldMaster.
type PartitionSet struct {
	SentinelSet
	OldMaster *NetServer
	Net       *Net
}

// StartPartitionSet starts the set: redisArgs go to every redis-server (the
// master and the replicas, which may become masters), e.g.
// "--min-replicas-to-write", "1".
func StartPartitionSet(tb testing.TB, n *Net, downAfter time.Duration, replicas int, redisArgs ...string) *PartitionSet {
	tb.Helper()
	m := n.StartRedis(redisArgs...)
	set := &PartitionSet{SentinelSet: SentinelSet{Name: "hookq"}, OldMaster: m, Net: n}
	for range replicas {
		args := append([]string{"--bind", "127.0.0.1", n.HostIP, "--protected-mode", "no",
			"--replicaof", m.Host, strconv.Itoa(m.Port)}, redisArgs...)
		set.Replicas = append(set.Replicas, Start(tb, WithArgs(args...)))
	}
	deadline := set.startSentinels(tb, n.HostIP, m.Host, m.Port, downAfter, replicas)
	for _, r := range set.Replicas {
		if err := WaitReplicaLinked(context.Background(), r.Addr(), time.Until(deadline)); err != nil {
			tb.Fatal(err)
		}
	}
	return set
}

// WaitReplicaLinked waits until the redis-server at addr is a replica whose
// link to its master is up.
func WaitReplicaLinked(ctx context.Context, addr string, timeout time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(timeout)
	for {
		info, err := c.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not a linked replica after %v: %s %v", addr, timeout, info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
