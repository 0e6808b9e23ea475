package main

import (
	"bytes"
	"context"
	"flag"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookq/hookq/internal/redistest"
)

// TestCommandTable: the package comment and the usage text list every
// command of the table, each name is taken once, and each command's -h
// prints its usage.
func TestCommandTable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Doc.Text()
	seen := map[string]bool{}
	for _, c := range commands() {
		words := strings.Fields(c.name)
		for _, a := range append([]string{words[len(words)-1]}, c.aliases...) {
			name := strings.Join(append(words[:len(words)-1:len(words)-1], a), " ")
			if seen[name] {
				t.Errorf("%q is taken twice", name)
			}
			seen[name] = true
		}
		if !strings.Contains(doc, "\n\t"+c.name+" ") {
			t.Errorf("the package comment does not list %q", c.name)
		}
		if !strings.Contains(usage(""), "\n  "+c.name+" ") {
			t.Errorf("the usage text does not list %q", c.name)
		}
		var out, errb bytes.Buffer
		if err := run(t.Context(), append(words, "-h"), func(string) string { return "" }, &out, &errb); err != nil ||
			!strings.HasPrefix(errb.String(), "usage: hookqctl "+c.name+" [flags]") {
			t.Errorf("%s -h: err %v, stderr %q", c.name, err, errb.String())
		}
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"dlq", "help"}, func(string) string { return "" }, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "\n  exported  ") || !strings.Contains(out.String(), "filters (list, replay, delete)") {
		t.Errorf("dlq help: %v\n%s", err, out.String())
	}
}

// TestOneMeaningPerFlag: a flag name means the same in every command:
// -config the config file, -redis the Redis URL, -ingest ingest's base URL,
// and -url is only the deprecated spelling of one of the last two.
func TestOneMeaningPerFlag(t *testing.T) {
	prefix := map[string]string{"config": "config file", "redis": "Redis URL", "ingest": "ingest base URL", "url": "deprecated: use -"}
	e := &procEnv{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
	for _, c := range commands() {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs, e)
		fs.VisitAll(func(f *flag.Flag) {
			if p, ok := prefix[f.Name]; ok && !strings.HasPrefix(f.Usage, p) {
				t.Errorf("%s -%s: %q, want it to start with %q", c.name, f.Name, f.Usage, p)
			}
		})
		if u := fs.Lookup("url"); u != nil && fs.Lookup("redis") == nil && fs.Lookup("ingest") == nil {
			t.Errorf("%s: -url aliases nothing", c.name)
		}
	}
}

func TestDeprecatedURL(t *testing.T) {
	t.Run("PingRedis", func(t *testing.T) {
		url := redistest.Start(t).URL()
		for _, flagName := range []string{"-redis", "-url"} {
			var out, errb bytes.Buffer
			if err := run(t.Context(), []string{"ping", flagName, url}, func(string) string { return "" }, &out, &errb); err != nil || out.String() != "PONG\n" {
				t.Errorf("ping %s: %v %q", flagName, err, out.String())
			}
			if warned := strings.Contains(errb.String(), "-url is deprecated: use -redis"); warned != (flagName == "-url") {
				t.Errorf("ping %s: stderr %q", flagName, errb.String())
			}
		}
	})
	t.Run("SendIngest", func(t *testing.T) {
		var hits int
		ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits++
			io.WriteString(w, `{"status":"accepted"}`)
		}))
		defer ingest.Close()
		sg := newSigning(t)
		var errb bytes.Buffer
		// In send, -url still means ingest.
		if err := run(t.Context(), []string{"send", "-source", "seed", "-config", sg.cfg, "-url", ingest.URL}, sg.getenv, io.Discard, &errb); err != nil || hits != 1 {
			t.Fatalf("send -url: %v, %d requests; stderr %q", err, hits, errb.String())
		}
		if !strings.Contains(errb.String(), "-url is deprecated: use -ingest") {
			t.Errorf("no deprecation warning: %q", errb.String())
		}
	})
}

func TestArguments(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"ErrUnexpected":     {[]string{"stats", "extra", "-redis", "redis://127.0.0.1:1/0"}, `stats: unexpected argument "extra"`},
		"ErrRestoreNoIDs":   {[]string{"dlq", "restore", "-redis", "redis://127.0.0.1:1/0"}, "give one or more STREAM_IDs"},
		"ErrUnknownCommand": {[]string{"frob"}, `unknown command "frob"`},
		"FlagAfterArgument": {[]string{"dlq", "show", "x", "-redis", "redis://127.0.0.1:1/0"}, "127.0.0.1:1"},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			err := run(ctx, tc.args, func(string) string { return "" }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
