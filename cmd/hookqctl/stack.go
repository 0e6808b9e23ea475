package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strings"
	"time"
)

// configPath is -config, else HOOKQ_CONFIG.
func configPath(flagValue string, getenv func(string) string) (string, error) {
	if flagValue == "" {
		flagValue = getenv("HOOKQ_CONFIG")
	}
	if flagValue == "" {
		return "", errors.New("no config: pass -config FILE or set HOOKQ_CONFIG")
	}
	return flagValue, nil
}

// dialAddr turns a listen address into one to connect to: a wildcard host
// becomes loopback.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// cmdReady asks the admin listeners of the config's processes for /readyz.
func cmdReady(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ready", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFlag := fs.String("config", "", "config file (env HOOKQ_CONFIG): the admin listeners")
	procs := fs.String("process", "ingest,worker", "processes to ask: ingest, worker or both")
	wait := fs.Duration("wait", 0, "keep asking until all are ready or this long has passed")
	quiet := fs.Bool("q", false, "print nothing; the exit status says it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path, err := configPath(*cfgFlag, getenv)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(path, getenv)
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
				fmt.Fprintf(stdout, "%s ready\n", n)
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

// cmdEndpoints prints where the config's stack listens: each source's
// webhook URL with the routes it feeds, the dashboard and the metrics.
func cmdEndpoints(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("endpoints", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFlag := fs.String("config", "", "config file (env HOOKQ_CONFIG)")
	sink := fs.Bool("sink", false, "print only the loopback host:port forward routes deliver to (where `make run` starts its sink), or nothing")
	showPassword := fs.Bool("show-password", false, "print the dashboard password")
	if err := fs.Parse(args); err != nil {
		return err
	}
	path, err := configPath(*cfgFlag, getenv)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(path, getenv)
	if err != nil {
		return err
	}
	if *sink {
		for _, r := range cfg.Routes {
			u, err := neturl.Parse(r.URL)
			if r.Handler != "forward" || err != nil || u.Scheme != "http" {
				continue
			}
			if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
				port := u.Port()
				if port == "" {
					port = "80"
				}
				fmt.Fprintln(stdout, net.JoinHostPort(u.Hostname(), port))
				return nil
			}
		}
		return nil
	}
	base := "http://" + dialAddr(cfg.Ingest.Listen)
	fmt.Fprintln(stdout, "  webhooks")
	for _, s := range cfg.Sources {
		var routes []string
		for _, r := range cfg.Routes {
			if r.Source != s.Name {
				continue
			}
			ev := "all events"
			if len(r.Events) > 0 {
				ev = strings.Join(r.Events, " ")
			}
			routes = append(routes, fmt.Sprintf("%s (%s → %s)", r.Name, ev, r.Handler))
		}
		if len(routes) == 0 {
			routes = []string{"no routes: events are answered ignored"}
		}
		typ := s.Verifier.Type
		if vars := cfg.unset[s.Name]; len(vars) > 0 {
			typ = "${" + strings.Join(vars, "}, ${") + "} not set"
		}
		fmt.Fprintf(stdout, "    POST %s/webhooks/%s  [%s]  %s\n", base, s.Name, typ, strings.Join(routes, ", "))
	}
	if !cfg.Dashboard.Disabled {
		pw := ""
		if cfg.Dashboard.Password != "" {
			pw = "   password: (dashboard.password)"
			if *showPassword {
				pw = "   password: " + string(cfg.Dashboard.Password)
			}
		}
		fmt.Fprintf(stdout, "  dashboard  http://%s%s   user: %s%s\n", dialAddr(cfg.Ingest.AdminListen), cfg.Dashboard.Path, cfg.Dashboard.Username, pw)
	}
	fmt.Fprintf(stdout, "  metrics    http://%s/metrics  http://%s/metrics\n", dialAddr(cfg.Ingest.AdminListen), dialAddr(cfg.Worker.AdminListen))
	return nil
}
