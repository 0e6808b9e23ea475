package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Files `make run` writes into its data folder (.data, or HOOKQ_DATA).
const (
	secretsFile = "env"       // demo secrets and the dashboard password
	stackFile   = "stack.env" // REDIS_URL and HOOKQ_CONFIG of the stack it runs
)

// originKey is asked of getenv for where REDIS_URL came from; a dot keeps it
// out of any real environment variable's way.
const originKey = "hookqctl.origin.REDIS_URL"

// devGetenv returns getenv falling back to the variables `make run` wrote,
// so that hookqctl in a second terminal talks to the stack's Redis and
// config without anything exported. The data folder is HOOKQ_DATA, else the
// first .data holding a stack.env in wd or one of its parents. The
// environment wins over the files.
func devGetenv(getenv func(string) string, wd string) func(string) string {
	dir := getenv("HOOKQ_DATA")
	if dir == "" {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, ".data", stackFile)); err == nil {
				dir = filepath.Join(d, ".data")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if dir == "" {
		return getenv
	}
	vars := map[string]string{}
	readEnvFile(filepath.Join(dir, secretsFile), vars)
	stack := filepath.Join(dir, stackFile)
	readEnvFile(stack, vars)
	return func(k string) string {
		if k == originKey {
			if getenv("REDIS_URL") == "" && vars["REDIS_URL"] != "" {
				return stack
			}
			return ""
		}
		if v := getenv(k); v != "" {
			return v
		}
		return vars[k]
	}
}

// readEnvFile adds the KEY=VALUE lines of file to vars; a missing file adds nothing.
func readEnvFile(file string, vars map[string]string) {
	f, err := os.Open(file)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		vars[strings.TrimPrefix(k, "export ")] = v
	}
}
