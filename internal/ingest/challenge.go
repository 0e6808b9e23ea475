package ingest

import (
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
			c.Header("Allow", "POST")
			c.JSON(http.StatusMethodNotAllowed, gin.H{"error": "method_not_allowed"})
			return
		}
		ctype, body, err := ch.Challenge(&verify.Request{Header: c.Request.Header, RawQuery: c.Request.URL.RawQuery})
		if err != nil {
			status, reason := statusOf(err)
			log.Info("webhook challenge", zap.String("source", name), zap.Int("status", status), zap.String("error", err.Error()))
			c.JSON(status, response{Error: reason, Source: name, Detail: detail(err)})
			return
		}
		log.Info("webhook challenge", zap.String("source", name), zap.Int("status", http.StatusOK))
		// An echoed value must never be sniffed into HTML (Dropbox asks for this).
		c.Header("X-Content-Type-Options", "nosniff")
		c.Data(http.StatusOK, ctype, body)
	}
}
