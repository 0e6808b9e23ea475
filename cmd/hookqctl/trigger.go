package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/sender"
)

// triggerCmd sends a realistic, correctly signed fixture (trigger_fixtures.go)
// of EVENT_TYPE for SOURCE, like `stripe trigger`.
func triggerCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	in := addIngestFlags(fs, e)
	id := fs.String("id", "", "event id (default random)")
	list := fs.Bool("list", false, "list the events trigger can send for each configured source")
	return func(ctx context.Context, pos []string) error {
		s, cfg, err := in.sender(e, nil)
		if err != nil {
			return err
		}
		if *list {
			tw := newTable(e.stdout)
			fmt.Fprintln(tw, "SOURCE\tTYPE\tEVENTS")
			for _, src := range cfg.Sources {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", src.Name, src.Verifier.Type, dash(strings.Join(fixtureNames(src.Verifier.Type), " ")))
			}
			return tw.Flush()
		}
		if len(pos) != 2 {
			fs.Usage()
			return errors.New("trigger: want SOURCE EVENT_TYPE (hookqctl trigger -list shows them)")
		}
		source, typ := pos[0], pos[1]
		src, ok := cfg.Source(source)
		if !ok {
			return fmt.Errorf("trigger: source %q is not in the config", source)
		}
		kind := src.Verifier.Type
		build, ok := fixtures[kind][typ]
		if !ok {
			names := fixtureNames(kind)
			if len(names) == 0 {
				return fmt.Errorf("trigger: no fixtures for %s sources; send your own body with hookqctl send -source %s -type %s -data @FILE", kind, source, typ)
			}
			return fmt.Errorf("trigger: no %s fixture %q; there are: %s (or send your own with hookqctl send -data @FILE)", kind, typ, strings.Join(names, ", "))
		}
		if *id == "" {
			*id = newID("evt_")
			if kind == "github" || kind == "shopify" {
				*id = newUUIDish()
			}
		}
		body, err := json.Marshal(build(*id, time.Now().UTC()))
		if err != nil {
			return err
		}
		return sendAndReport(ctx, e, s, cfg, sender.Delivery{Source: source, ID: *id, Type: typ, Body: body})
	}
}
