package verify_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/hookq/hookq/internal/verify"
)

var update = flag.Bool("update", false, "rewrite the README's provider table from the catalogue")

const (
	tableBegin = "<!-- providers:begin (generated from internal/verify/presets.go: go test ./internal/verify -run TestREADMEProviderTable -args -update) -->\n"
	tableEnd   = "<!-- providers:end -->\n"
)

// The README's provider table is the catalogue's: this fails when they differ.
func TestREADMEProviderTable(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, tableBegin), strings.Index(readme, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the provider table markers %q … %q", tableBegin, tableEnd)
	}
	want := verify.MarkdownTable()
	got := readme[i+len(tableBegin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:i+len(tableBegin)]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's provider table differs from the catalogue; run: go test ./internal/verify -run TestREADMEProviderTable -args -update")
}
