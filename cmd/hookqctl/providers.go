package main

import (
	"context"
	"flag"
	"fmt"
	"slices"

	"github.com/hookq/hookq/internal/sign"
	"github.com/hookq/hookq/internal/verify"
)

// provider is one catalogue entry as `providers -json` prints it.
type provider struct {
	Name      string        `json:"name"`
	Primitive string        `json:"primitive"`
	Signature string        `json:"signature"`
	Headers   []string      `json:"headers,omitempty"`
	Tolerance string        `json:"tolerance"`
	EventID   string        `json:"event_id"`
	EventType string        `json:"event_type"`
	Body      string        `json:"body"`
	Handshake string        `json:"handshake,omitempty"`
	Covers    string        `json:"covers"`
	Uncovered string        `json:"not_covered"`
	Setup     string        `json:"setup,omitempty"`
	Docs      string        `json:"docs"`
	Params    verify.Params `json:"params"`
	Send      bool          `json:"send"` // hookqctl send can sign for it
}

// providersCmd lists verify's catalogue.
func providersCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(context.Context, []string) error {
		signable := sign.Types()
		var out []provider
		for _, p := range verify.Catalogue() {
			out = append(out, provider{Name: p.Name, Primitive: p.Primitive, Signature: p.SignatureText(), Headers: p.Params.Headers,
				Tolerance: p.WindowText(), EventID: verify.FieldText(p.EventID, true), EventType: verify.FieldText(p.EventType, false),
				Body: p.Body, Handshake: p.Handshake, Covers: p.Covers, Uncovered: p.Uncovered, Setup: p.Setup, Docs: p.Docs,
				Params: p.Params, Send: slices.Contains(signable, p.Name)})
		}
		if *asJSON {
			return writeJSON(e.stdout, out)
		}
		tw := newTable(e.stdout)
		fmt.Fprintln(tw, "NAME\tPRIMITIVE\tTOLERANCE\tSIGNED\tNOT SIGNED")
		for _, p := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Primitive, p.Tolerance, p.Covers, p.Uncovered)
		}
		fmt.Fprintf(tw, "\n%d providers; -json for headers, id and type defaults and docs links\n", len(out))
		return tw.Flush()
	}
}
