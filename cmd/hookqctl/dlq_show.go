package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hookq/hookq/internal/ctl"
)

// dlqShowCmd shows one task in any state, or every dead-lettered task of
// an event, with its body.
func dlqShowCmd(fs *flag.FlagSet, e *procEnv) runFunc {
	conn := addConnFlags(fs, e)
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, pos []string) error {
		if len(pos) != 1 {
			return errors.New("dlq show: want exactly one TASK_ID or EVENT_ID")
		}
		c, closeFn, err := conn.open(e)
		if err != nil {
			return err
		}
		defer closeFn()
		tasks, err := c.Find(ctx, pos[0])
		if err != nil {
			return err
		}
		if len(tasks) == 0 {
			return fmt.Errorf("no task %q and no dead-lettered task of an event %q in %s (try: %s)", pos[0], pos[0], conn.where, commandLine([]string{"inspect"}, pos[0]))
		}
		if *asJSON {
			out := make([]showJSON, len(tasks))
			for i, t := range tasks {
				out[i] = newShowJSON(t)
			}
			return writeJSON(e.stdout, out)
		}
		for i, t := range tasks {
			if i > 0 {
				fmt.Fprintln(e.stdout, strings.Repeat("-", 72))
			}
			showTask(e.stdout, t, time.Now())
		}
		return nil
	}
}

// showJSON is a task with its event's headers and body.
type showJSON struct {
	*ctl.Task
	Type        string            `json:"type"`
	Queue       string            `json:"queue"`
	Timeout     string            `json:"timeout,omitempty"`
	TaskHeaders map[string]string `json:"task_headers,omitempty"`
	VerifiedBy  string            `json:"verified_by,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Body        json.RawMessage   `json:"body,omitempty"`      // a JSON body, as received
	BodyText    string            `json:"body_text,omitempty"` // any other printable body
	BodyB64     []byte            `json:"body_b64,omitempty"`  // anything else
}

func newShowJSON(t *ctl.Task) showJSON {
	s := showJSON{Task: t, Type: t.Info.Type, Queue: t.Info.Queue, TaskHeaders: t.Info.Headers}
	if t.Info.Timeout > 0 {
		s.Timeout = t.Info.Timeout.String()
	}
	if t.Event == nil {
		s.BodyB64 = t.Info.Payload
		return s
	}
	e := t.Event
	s.VerifiedBy, s.ContentType, s.Headers = e.VerifiedBy, e.ContentType, e.Headers
	switch {
	case len(e.Body) == 0:
	case json.Valid(e.Body):
		s.Body = e.Body
	case printable(e.Body):
		s.BodyText = string(e.Body)
	default:
		s.BodyB64 = e.Body
	}
	return s
}

func showTask(w io.Writer, t *ctl.Task, now time.Time) {
	tw := newTable(w)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("task id", t.ID)
	row("state", t.State)
	row("queue / type", t.Info.Queue+" / "+t.Info.Type)
	row("source", t.Source)
	row("route", t.Route)
	row("event id", t.EventID)
	row("event type", t.EventType)
	row("received at", fmtTimeAgo(t.ReceivedAt, now))
	row("retried", fmt.Sprintf("%d of %d", t.Retried, t.MaxRetry))
	row("last failed at", fmtTimeAgo(t.LastFailedAt, now))
	row("last error", t.LastErr)
	if t.Delivery != nil {
		row("delivery", deliveryText(t.Delivery)+" at "+fmtTime(t.Delivery.At))
	}
	row("completed at", fmtTimeAgo(t.CompletedAt, now))
	if !t.NextProcessAt.IsZero() {
		row("next process at", t.NextProcessAt.UTC().Format(time.RFC3339))
	}
	if t.Info.Timeout > 0 {
		row("timeout", t.Info.Timeout.String())
	}
	row("task headers", kv(t.Info.Headers))
	row("decode error", t.DecodeErr)
	if t.Event != nil {
		row("verified by", t.Event.VerifiedBy)
		row("content type", t.Event.ContentType)
		row("headers", kv(t.Event.Headers))
	}
	tw.Flush()
	if t.State == "archived" {
		fmt.Fprintln(w, "replay:", commandLine([]string{"dlq", "replay"}, t.ID))
	}
	body := t.Info.Payload
	if t.Event != nil {
		body = t.Event.Body
	}
	kind, text := renderBody(body)
	fmt.Fprintf(w, "body (%d bytes, %s):\n%s", len(body), kind, text)
	if text != "" && !strings.HasSuffix(text, "\n") {
		fmt.Fprintln(w)
	}
}
