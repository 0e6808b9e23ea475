package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// readyCmd asks the admin listeners of the config's processes for /readyz.
func readyCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	cfgFile := addConfigFlag(fs, e, ": the admin listeners")
	procs := fs.String("process", "ingest,worker", "processes to ask: ingest, worker or both")
	wait := fs.Duration("wait", 0, "keep asking until all are ready or this long has passed")
	quiet := fs.Bool("q", false, "print nothing; the exit status says it")
	return func(ctx context.Context, _ []string) error {
		cfg, err := loadConfig(*cfgFile, e)
		if err != nil {
			return err
		}
		addrs := map[string]string{"ingest": cfg.Ingest.AdminListen, "worker": cfg.Worker.AdminListen}
		names := strings.Split(*procs, ",")
		for _, n := range names {
			if addrs[n] == "" {
				return fmt.Errorf("ready: unknown process %q (want ingest or worker)", n)
			}
		}
		client := &http.Client{Timeout: time.Second}
		deadline := time.Now().Add(*wait)
		for {
			var notReady []string
			for _, n := range names {
				if err := readyz(ctx, client, dialAddr(addrs[n])); err != nil {
					notReady = append(notReady, n+": "+err.Error())
				} else if !*quiet && time.Now().After(deadline) {
					fmt.Fprintf(e.stdout, "%s ready\n", n)
				}
			}
			if len(notReady) == 0 || !time.Now().Before(deadline) {
				if len(notReady) > 0 {
					return fmt.Errorf("not ready: %s", strings.Join(notReady, "; "))
				}
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

func readyz(ctx context.Context, client *http.Client, addr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s does not answer", addr)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/readyz answered %d %s", addr, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}
