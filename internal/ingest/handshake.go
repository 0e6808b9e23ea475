package ingest

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/verify"
)

// handleProbe answers the unsigned POST some providers send to prove the
// endpoint before any event (Microsoft Graph's validationToken, Asana's
// X-Hook-Secret), ahead of handleWebhook: a probe carries no signature, so
// it must be answered before one is required. The body is not read and
// nothing is enqueued; every other request goes on to handleWebhook.
func handleProbe(log *zap.Logger, sources map[string]*Source) gin.HandlerFunc {
	return func(c *gin.Context) {
		src, ok := sources[c.Param("source")]
		if !ok {
			return
		}
		p, ok := src.Verifier.(verify.Prober)
		if !ok {
			return
		}
		a, ok := p.Probe(&verify.Request{Header: c.Request.Header, RawQuery: c.Request.URL.RawQuery})
		if !ok {
			return
		}
		for k, vs := range a.Header {
			for _, v := range vs {
				c.Writer.Header().Add(k, v)
			}
		}
		c.Header("X-Content-Type-Options", "nosniff")
		ctype := a.ContentType
		if ctype == "" {
			ctype = "text/plain; charset=utf-8"
		}
		log.Info("webhook probe", zap.String("source", src.Name), zap.Int("status", http.StatusOK))
		c.Data(http.StatusOK, ctype, a.Body)
		c.Abort()
	}
}

// handshake answers, after verification, a delivery that is a handshake
// rather than an event: Slack url_verification, Zoom url_validation and
// Discord PING (Handshaker), or an SNS subscription confirmation, which
// first calls the provider back (Confirmer). ok reports a handshake; resp
// is its JSON answer. An error means the call back failed.
func handshake(ctx context.Context, v verify.Verifier, r *verify.Request) (resp []byte, ok bool, err error) {
	if hs, isHS := v.(verify.Handshaker); isHS {
		if resp, ok := hs.Handshake(r); ok {
			return resp, true, nil
		}
	}
	if cf, isCF := v.(verify.Confirmer); isCF {
		return cf.Confirm(ctx, r)
	}
	return nil, false, nil
}
