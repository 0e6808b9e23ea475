package app

import (
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/config"
	"github.com/hookq/hookq/internal/queue"
	"github.com/hookq/hookq/internal/reconcile"
)

// Reconcilers builds a Reconciler for every source with a reconcile block,
// each feeding queue.Enqueuer on rdb with the tasks ingest would enqueue.
func Reconcilers(cfg *config.Config, rdb redis.UniversalClient, log *zap.Logger) ([]reconcile.Periodic, error) {
	hc := &http.Client{Timeout: 30 * time.Second, Transport: reconcile.RateLimited(nil, reconcile.RateLimit{})}
	enq := queue.NewEnqueuer(rdb).WithShards(queue.NewShards(cfg.Queue.Shards))
	var out []reconcile.Periodic
	for _, s := range cfg.Sources {
		rc := s.Reconcile
		if rc == nil {
			continue
		}
		var p reconcile.Provider
		switch s.Verifier.Type {
		case "stripe":
			p = reconcile.NewStripe(string(rc.APIKey), rc.APIURL, hc)
		case "github":
			g, err := reconcile.NewGitHub(string(rc.Token), rc.APIURL, hc, rc.Repo, rc.Org, rc.HookID)
			if err != nil {
				return nil, err
			}
			p = g
		}
		src := reconcile.Source{Name: s.Name, DedupeTTL: s.DedupeTTL, Since: rc.Since}
		for _, r := range cfg.Routes {
			if r.Source == s.Name {
				// The route's task policy (config.Route.Task), as ingest enqueues with.
				src.Routes = append(src.Routes, reconcile.Route{Events: r.Events, Task: r.Task()})
			}
		}
		out = append(out, reconcile.Periodic{R: reconcile.New(src, p, enq, rdb, log), Interval: rc.Interval})
	}
	return out, nil
}
