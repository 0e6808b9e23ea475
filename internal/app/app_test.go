package app

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRedisURLErrorHidesPassword(t *testing.T) {
	for _, u := range []string{"redis://:s3cret@127.0.0.1:notaport/0", "redis://user:s3cret@[::1/0", "redis://:s3cret%zz@host/0"} {
		_, _, err := Redis(u)
		if err == nil {
			t.Fatalf("%s: want error", u)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("error reveals the password: %v", err)
		}
	}
}

func TestRedisCluster(t *testing.T) {
	rdb, opt, err := Redis("redis-cluster://:s3cret@127.0.0.1:7000,127.0.0.1:7001")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok || len(cc.Options().Addrs) != 2 || !cc.Options().ContextTimeoutEnabled {
		t.Fatalf("client %T", rdb)
	}
	mc, ok := opt.MakeRedisClient().(*redis.ClusterClient)
	if !ok {
		t.Fatalf("dashboard client %T", opt.MakeRedisClient())
	}
	mc.Close()
	wait, err := RedisForWait("redis-cluster://127.0.0.1:7000", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer wait.Close()
	if _, ok := wait.(*redis.ClusterClient); !ok {
		t.Fatalf("wait client %T", wait)
	}
}
