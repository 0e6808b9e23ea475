package redisconn

import (
	"reflect"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		url  string
		want Spec
		str  string
	}{
		{"redis://127.0.0.1:6379/2", Spec{Mode: Single, Addrs: []string{"127.0.0.1:6379"}, DB: 2}, "redis://127.0.0.1:6379/2"},
		{"rediss://:pw@r.example:6380/0", Spec{Mode: Single, Addrs: []string{"r.example:6380"}, Password: "pw"}, "rediss://:REDACTED@r.example:6380/0"},
		{"redis-sentinel://:p%40ss@s1:26379,s2:26380/3?master=mymaster",
			Spec{Mode: Sentinel, Addrs: []string{"s1:26379", "s2:26380"}, Password: "p@ss", SentinelPassword: "p@ss", DB: 3, Master: "mymaster"},
			"redis-sentinel://:REDACTED@s1:26379,s2:26380/3?master=mymaster"},
		{"redis-sentinel://s1:26379?master=m", Spec{Mode: Sentinel, Addrs: []string{"s1:26379"}, Master: "m"}, "redis-sentinel://s1:26379/0?master=m"},
		{"redis-sentinel://:pw@s1:26379?master=m&sentinel_password=", Spec{Mode: Sentinel, Addrs: []string{"s1:26379"}, Password: "pw", Master: "m", SentinelNoAuth: true},
			"redis-sentinel://:REDACTED@s1:26379/0?master=m"},
		{"redis-cluster://:pw@c1:7000,c2:7001,c3:7002", Spec{Mode: Cluster, Addrs: []string{"c1:7000", "c2:7001", "c3:7002"}, Password: "pw"},
			"redis-cluster://:REDACTED@c1:7000,c2:7001,c3:7002"},
	} {
		got, err := Parse(c.url)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		got.single = nil
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.url, got, c.want)
		}
		if got.String() != c.str {
			// String of a single-node spec reads the TLS setting from single.
			if got, _ := Parse(c.url); got.String() != c.str {
				t.Errorf("%s: String() = %s, want %s", c.url, got.String(), c.str)
			}
		}
	}
}

func TestParseErrorsNeverShowThePassword(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"http://x", `scheme "http"`},
		{"127.0.0.1:6379", "want redis://"},
		{"redis://:s3cret@127.0.0.1:notaport/0", "not a valid URL"},
		{"redis://user:s3cret@[::1/0", "not a valid URL"},
		{"redis://:s3cret%zz@host/0", "escape"},
		{"redis-sentinel://:s3cret@s1:26379/0", "master=NAME"},
		{"redis-sentinel://:s3cret@s1/0?master=m", `"s1": want host:port`},
		{"redis-sentinel://:s3cret@s1:26379,:1/0?master=m", `":1": want host:port`},
		{"redis-sentinel://:s3cret@s1:99999?master=m", "want host:port"},
		{"redis-sentinel://:s3cret@/0?master=m", "at least one host:port"},
		{"redis-sentinel://:s3cret@s1:26379/x?master=m", `database "x"`},
		{"redis-sentinel://:s3cret@s1:26379?master=m&pasword=s3cret", `unknown parameter "pasword"`},
		{"redis-cluster://:s3cret@c1:7000/1", "database 0 only"},
		{"redis-cluster://:s3cret@c1:7000?master=m", `unknown parameter "master"`},
		{"redis-sentinel://:s3cret%zz@s1:26379?master=m", "escape"},
	} {
		_, err := Parse(c.url)
		if err == nil {
			t.Errorf("%s: want error", c.url)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error shows the password: %v", c.url, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.url, err, c.want)
		}
	}
}

func TestClients(t *testing.T) {
	tun := Tuning{PoolSize: 3}
	s, _ := Parse("redis-sentinel://:pw@s1:26379,s2:26379/4?master=mymaster")
	c, err := s.Client(tun)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fc, ok := c.(*redis.Client)
	if !ok || fc.Options().DB != 4 || fc.Options().Password != "pw" || fc.Options().PoolSize != 3 || !fc.Options().ContextTimeoutEnabled {
		t.Fatalf("sentinel client: %T %+v", c, fc.Options())
	}
	opt, err := s.AsynqOpt(tun)
	if err != nil {
		t.Fatal(err)
	}
	mc, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		t.Fatalf("asynq option makes %T", opt.MakeRedisClient())
	}
	mc.Close()

	cs, _ := Parse("redis-cluster://:pw@c1:7000,c2:7001")
	c2, err := cs.Client(tun)
	if err != nil {
		t.Fatal(err)
	}
	cc, ok := c2.(*redis.ClusterClient)
	if !ok || !reflect.DeepEqual(cc.Options().Addrs, []string{"c1:7000", "c2:7001"}) || cc.Options().Password != "pw" || cc.Options().PoolSize != 3 {
		t.Fatalf("cluster client: %T %+v", c2, cc.Options())
	}
	if err := c2.Close(); err != nil || !closed(cc) {
		t.Fatalf("closed cluster client not seen as closed: %v", err)
	}
	copt, err := cs.AsynqOpt(tun)
	if err != nil {
		t.Fatal(err)
	}
	if mc, ok := copt.MakeRedisClient().(*redis.ClusterClient); !ok {
		t.Fatalf("asynq cluster option makes %T", copt.MakeRedisClient())
	} else {
		mc.Close()
	}
}
