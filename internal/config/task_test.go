package config

import (
	"strings"
	"testing"
	"time"
)

func TestRouteTask(t *testing.T) {
	c, err := Parse([]byte(minimal), env(map[string]string{"STRIPE_SECRET": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	task := c.Routes[0].Task()
	if task.Route != "app" || task.MaxRetry != DefaultMaxRetries || task.Timeout != DefaultTimeout+TaskMargin {
		t.Fatalf("Task() = %+v", task)
	}
	if c.Routes[0].MaxInFlight != 0 {
		t.Fatalf("max_in_flight defaults to %d, want 0 (no bound)", c.Routes[0].MaxInFlight)
	}
}

func TestMaxInFlight(t *testing.T) {
	for _, c := range []struct {
		name, value string
		ok          bool
	}{{"Bound", "3", true}, {"None", "0", true}, {"Negative", "-1", false}} {
		t.Run(c.name, func(t *testing.T) {
			raw := strings.Replace(minimal, "    url: http://127.0.0.1:9000/x\n",
				"    url: http://127.0.0.1:9000/x\n    timeout: 2s\n    max_in_flight: "+c.value+"\n", 1)
			cfg, err := Parse([]byte(raw), env(map[string]string{"STRIPE_SECRET": "x"}))
			if c.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "routes[0].max_in_flight") {
					t.Fatalf("error does not name the key: %v", err)
				}
				return
			}
			if cfg.Routes[0].Task().Timeout != 2*time.Second+TaskMargin {
				t.Fatalf("timeout %v", cfg.Routes[0].Task().Timeout)
			}
		})
	}
}
