package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelSet is a master, its replicas and three Sentinels watching them,
// all on loopback ports of their own.
type SentinelSet struct {
	Master    *Server
	Replicas  []*Server
	Sentinels []string // host:port
	Name      string   // master set name
	cmds      []*exec.Cmd
}

// StartSentinel starts the set with down-after-milliseconds downAfter and
// replicas replicas, and waits until every Sentinel knows the replicas and
// the other Sentinels, so that a failover can be agreed on at once.
func StartSentinel(tb testing.TB, downAfter time.Duration, replicas int) *SentinelSet {
	tb.Helper()
	m := Start(tb)
	set := &SentinelSet{Master: m, Name: "hookq"}
	for range replicas {
		set.Replicas = append(set.Replicas, Start(tb, WithArgs("--replicaof", "127.0.0.1", strconv.Itoa(m.Port))))
	}
	deadline := set.startSentinels(tb, "127.0.0.1", "127.0.0.1", m.Port, downAfter, replicas)
	// The replicas must hold the master's data before a failover can be clean.
	for _, r := range set.Replicas {
		if err := WaitReplicaLinked(context.Background(), r.Addr(), time.Until(deadline)); err != nil {
			tb.Fatal(err)
		}
	}
	return set
}

// startSentinels starts the set's three Sentinels, reached at host, to
// watch the master at masterHost:masterPort, and waits until each knows the
// replicas and the other two. A host other than loopback is another network
// namespace's way in: they bind it too, without protected mode. It returns
// the deadline the caller's own waiting shares.
func (set *SentinelSet) startSentinels(tb testing.TB, host, masterHost string, masterPort int, downAfter time.Duration, replicas int) time.Time {
	tb.Helper()
	bind := "bind 127.0.0.1\n"
	if host != "127.0.0.1" {
		bind = "bind 127.0.0.1 " + host + "\nprotected-mode no\n"
	}
	for i := 0; i < 3; i++ {
		port, dir := FreePort(tb), tb.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Sprintf("port %d\n%sdir %s\nlogfile %s\n"+
			"sentinel monitor %s %s %d 2\n"+
			"sentinel down-after-milliseconds %s %d\n"+
			"sentinel failover-timeout %s 10000\n"+
			"sentinel parallel-syncs %s 1\n",
			port, bind, dir, filepath.Join(dir, "sentinel.log"), set.Name, masterHost, masterPort,
			set.Name, downAfter.Milliseconds(), set.Name, set.Name)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			tb.Fatal(err)
		}
		cmd := exec.Command("redis-server", conf, "--sentinel")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start redis-server --sentinel: %v", err)
		}
		set.cmds = append(set.cmds, cmd)
		tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		set.Sentinels = append(set.Sentinels, host+":"+strconv.Itoa(port))
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, addr := range set.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr})
		for {
			info, err := sc.Master(context.Background(), set.Name).Result()
			if err == nil && info["num-slaves"] == strconv.Itoa(replicas) && info["num-other-sentinels"] == "2" {
				break
			}
			if time.Now().After(deadline) {
				sc.Close()
				tb.Fatalf("sentinel %s never saw the replicas and the other sentinels: %v %v", addr, info, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		sc.Close()
	}
	return deadline
}

// URL is the redis-sentinel:// URL of the set, database 0.
func (s *SentinelSet) URL() string {
	return "redis-sentinel://" + strings.Join(s.Sentinels, ",") + "/0?master=" + s.Name
}

// MasterAddr asks the first answering Sentinel for the current master.
func (s *SentinelSet) MasterAddr(ctx context.Context) (string, error) {
	var last error
	for _, addr := range s.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr})
		a, err := sc.GetMasterAddrByName(ctx, s.Name).Result()
		sc.Close()
		if err == nil {
			return a[0] + ":" + a[1], nil
		}
		last = err
	}
	return "", last
}
