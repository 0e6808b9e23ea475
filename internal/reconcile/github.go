package reconcile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v84/github"
)

// GitHub lists a webhook's deliveries with the official client and asks
// GitHub to redeliver the ones hookq has no record of. GitHub's API returns
// a delivery's payload but not its signature, so hookq does not enqueue it
// itself: the redelivery arrives signed, through ingest, with the same
// X-GitHub-Delivery GUID that ingest uses as the event id.
type GitHub struct {
	c           *github.Client
	owner, repo string // a repository's hook, or
	org         string // an organisation's hook
	hook        int64
}

// NewGitHub returns a GitHub provider for the hook of repo ("owner/name") or
// of org. apiURL is empty for api.github.com; hc should carry RateLimited.
func NewGitHub(token, apiURL string, hc *http.Client, repo, org string, hookID int64) (*GitHub, error) {
	g := &GitHub{c: github.NewClient(hc).WithAuthToken(token), org: org, hook: hookID}
	if repo != "" {
		var ok bool
		if g.owner, g.repo, ok = strings.Cut(repo, "/"); !ok || g.owner == "" || g.repo == "" || strings.Contains(g.repo, "/") {
			return nil, fmt.Errorf("github: repo %q: want owner/name", repo)
		}
	}
	if (repo == "") == (org == "") {
		return nil, errors.New("github: set repo or org, not both")
	}
	if apiURL != "" {
		u, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("github: api_url %q: want an http(s) URL", apiURL)
		}
		g.c.BaseURL = u
	}
	return g, nil
}

// Name implements Provider.
func (*GitHub) Name() string { return "github-api" }

// List implements Provider: deliveries newest first, 100 a page, following
// the cursor until a whole page is older than since (GitHub keeps a few
// days of deliveries). Every attempt of a delivery is listed, redeliveries
// under the same GUID.
func (g *GitHub) List(ctx context.Context, since time.Time, fn func(Item) error) error {
	opts := &github.ListCursorOptions{PerPage: 100}
	for {
		var (
			ds   []*github.HookDelivery
			resp *github.Response
			err  error
		)
		if g.org != "" {
			ds, resp, err = g.c.Organizations.ListHookDeliveries(ctx, g.org, g.hook, opts)
		} else {
			ds, resp, err = g.c.Repositories.ListHookDeliveries(ctx, g.owner, g.repo, g.hook, opts)
		}
		if err != nil {
			return fmt.Errorf("github: list hook deliveries: %w", err)
		}
		recent := false
		for _, d := range ds {
			at := d.GetDeliveredAt().Time
			if at.Before(since) {
				continue
			}
			recent = true
			if err := fn(Item{ID: d.GetGUID(), Type: d.GetEvent(), Created: at, Delivery: d.GetID()}); err != nil {
				return err
			}
		}
		if !recent || resp.Cursor == "" {
			return nil
		}
		opts.Cursor = resp.Cursor
	}
}

// Redeliver implements Provider: POST …/deliveries/{id}/attempts, which
// GitHub answers 202.
func (g *GitHub) Redeliver(ctx context.Context, it Item) error {
	var err error
	if g.org != "" {
		_, _, err = g.c.Organizations.RedeliverHookDelivery(ctx, g.org, g.hook, it.Delivery)
	} else {
		_, _, err = g.c.Repositories.RedeliverHookDelivery(ctx, g.owner, g.repo, g.hook, it.Delivery)
	}
	if _, accepted := errors.AsType[*github.AcceptedError](err); accepted {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("github: redeliver %s (delivery %d): %w", it.ID, it.Delivery, err)
	}
	return nil
}
