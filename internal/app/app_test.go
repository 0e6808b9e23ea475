package app

import (
	"strings"
	"testing"
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

func TestRedisClusterRefusedAtStartUp(t *testing.T) {
	_, _, err := Redis("redis-cluster://:s3cret@127.0.0.1:7000,127.0.0.1:7001")
	if err == nil || !strings.Contains(err.Error(), "not supported yet") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
}
