package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	neturl "net/url"
	"strings"
)

// endpointsCmd prints where the config's stack listens: each source's
// webhook URL with the routes it feeds, the dashboard and the metrics.
func endpointsCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	cfgFile := addConfigFlag(fs, e, "")
	sink := fs.Bool("sink", false, "print only the loopback host:port forward routes deliver to (where `make run` starts its sink), or nothing")
	showPassword := fs.Bool("show-password", false, "print the dashboard password")
	return func(ctx context.Context, _ []string) error {
		cfg, err := loadConfig(*cfgFile, e)
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
					fmt.Fprintln(e.stdout, net.JoinHostPort(u.Hostname(), port))
					return nil
				}
			}
			return nil
		}
		base := "http://" + dialAddr(cfg.Ingest.Listen)
		fmt.Fprintln(e.stdout, "  webhooks")
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
			if vars := cfg.Unset[s.Name]; len(vars) > 0 {
				typ = "${" + strings.Join(vars, "}, ${") + "} not set"
			}
			fmt.Fprintf(e.stdout, "    POST %s/webhooks/%s  [%s]  %s\n", base, s.Name, typ, strings.Join(routes, ", "))
		}
		if !cfg.Dashboard.Disabled {
			pw := ""
			if cfg.Dashboard.Password != "" {
				pw = "   password: (dashboard.password)"
				if *showPassword {
					pw = "   password: " + string(cfg.Dashboard.Password)
				}
			}
			fmt.Fprintf(e.stdout, "  dashboard  http://%s%s   user: %s%s\n", dialAddr(cfg.Ingest.AdminListen), cfg.Dashboard.Path, cfg.Dashboard.Username, pw)
		}
		fmt.Fprintf(e.stdout, "  metrics    http://%s/metrics  http://%s/metrics\n", dialAddr(cfg.Ingest.AdminListen), dialAddr(cfg.Worker.AdminListen))
		return nil
	}
}
