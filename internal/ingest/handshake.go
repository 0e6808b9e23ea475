package ingest

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/hookq/hookq/internal/verify"
	"github.com/hookq/hookq/internal/webhook"
)

// handleChallenge answers the GET a provider sends to prove the endpoint
// before it delivers events (Okta, Meta hub.challenge, X CRC, Dropbox). Only sources whose
// preset has a GET handshake answer it; for every other source GET stays
// 405, as for any method but POST. Nothing is read from a body or enqueued.
func handleChallenge(log *zap.Logger, sources map[string]*Source) gin.HandlerFunc {
	return func(c *gin.Context) {
		name := c.Param("source")
		src, ok := sources[name]
		if !ok {
			status, reason := statusOf(webhook.ErrUnknownSource)
			c.JSON(status, response{Error: reason})
			return
		}
		ch, ok := src.Verifier.(verify.Challenger)
		if !ok {
			methodNotAllowed(c)
			return
		}
		ctype, body, err := ch.Challenge(handshakeRequest(c))
		if err != nil {
			status, reason := statusOf(err)
			log.Info("webhook challenge", zap.String("source", name), zap.Int("status", status), zap.String("error", err.Error()))
			c.JSON(status, response{Error: reason, Source: name, Detail: detail(err)})
			return
		}
		answer(c, log, "webhook challenge", name, ctype, body)
	}
}

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
		a, ok := p.Probe(handshakeRequest(c))
		if !ok {
			return
		}
		for k, vs := range a.Header {
			for _, v := range vs {
				c.Writer.Header().Add(k, v)
			}
		}
		ctype := a.ContentType
		if ctype == "" {
			ctype = "text/plain; charset=utf-8"
		}
		answer(c, log, "webhook probe", src.Name, ctype, a.Body)
		c.Abort()
	}
}

// handshakeRequest is what a handshake is answered from, before any
// verification: the headers and the query, never the body.
func handshakeRequest(c *gin.Context) *verify.Request {
	return &verify.Request{Header: c.Request.Header, RawQuery: c.Request.URL.RawQuery}
}

// answer writes a handshake's answer. An echoed value must never be sniffed
// into HTML (Dropbox asks for this).
func answer(c *gin.Context, log *zap.Logger, what, source, ctype string, body []byte) {
	log.Info(what, zap.String("source", source), zap.Int("status", http.StatusOK))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, ctype, body)
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
