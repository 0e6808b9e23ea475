package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookq/hookq/internal/verify"
)

func TestProvidersJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"providers", "-json"}, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("providers -json: %v (%s)", err, errOut.String())
	}
	var got []provider
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(verify.Catalogue()) {
		t.Fatalf("listed %d providers, catalogue has %d", len(got), len(verify.Catalogue()))
	}
	for _, p := range got {
		if p.Primitive == "" || p.Covers == "" || p.Uncovered == "" || !strings.HasPrefix(p.Docs, "http") && p.Name != "hmac" {
			t.Errorf("%s: incomplete entry %+v", p.Name, p)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"providers"}, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "shopify") {
		t.Fatalf("table lacks shopify:\n%s", out.String())
	}
}
