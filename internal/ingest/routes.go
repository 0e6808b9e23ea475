package ingest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
)

// addRoutes lists every public route.
func addRoutes(r *gin.Engine, log *zap.Logger, sources map[string]*Source, enq Enqueuer, tokens Tokens, m Metrics, opt Options) {
	r.Use(recoverJSON(log))
	r.POST("/webhooks/:source", handleProbe(log, sources), handleWebhook(log, sources, enq, tokens, m, opt))
	r.GET("/webhooks/:source", handleChallenge(log, sources))
	r.NoMethod(methodNotAllowed)
	r.NoRoute(func(c *gin.Context) {
		c.JSON(http.StatusNotFound, gin.H{"error": "not_found"})
	})
}

// methodNotAllowed answers any method but POST on a webhook path.
func methodNotAllowed(c *gin.Context) {
	c.Header("Allow", "POST")
	c.JSON(http.StatusMethodNotAllowed, gin.H{"error": "method_not_allowed"})
}

// recoverJSON turns a panic into a logged 500 instead of a dropped
// connection. Nothing was acknowledged, so the provider will retry.
func recoverJSON(log *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic in handler", zap.Any("panic", p), zap.String("path", c.Request.URL.Path))
				c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "internal_error"})
			}
		}()
		c.Next()
	}
}
