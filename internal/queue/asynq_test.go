package queue

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"testing"
)

// TestAsynqVersion fails on any Asynq but the one asynq.go was checked
// against: its key layout, protobuf field numbers, task script and archive
// limits are private to Asynq and may change in any release.
func TestAsynqVersion(t *testing.T) {
	const mod = "github.com/hibiken/asynq"
	got, from := "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == mod {
				got, from = d.Version, "build info"
				if d.Replace != nil {
					got, from = d.Replace.Version, "build info (replaced)"
				}
			}
		}
	}
	if got == "" { // test binaries without module data: read go.mod
		b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
		if err != nil {
			t.Fatalf("no build info and no go.mod: %v", err)
		}
		if m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(mod) + `\s+(\S+)`).FindSubmatch(b); m != nil {
			got, from = string(m[1]), "go.mod"
		}
	}
	if got != AsynqVersion {
		t.Fatalf("%s is %q (%s), but internal/queue/asynq.go copies Asynq's private Redis layout, "+
			"TaskMessage field numbers and enqueue script as of %s: re-read those sources, update asynq.go "+
			"and AsynqVersion, and run TestCompatibleWithAsynq", mod, got, from, AsynqVersion)
	}
	t.Logf("%s %s (%s)", mod, got, from)
}
