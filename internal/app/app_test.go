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
