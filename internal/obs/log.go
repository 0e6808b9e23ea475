// Package obs is hookq's operations side: zap logging, Prometheus metrics,
// the admin listener (/healthz, /readyz, /metrics) and the Asynqmon mount.
package obs

import (
	"fmt"
	"io"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// NewLogger returns a JSON logger at level writing to w.
func NewLogger(w io.Writer, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(w), lvl)
	return zap.New(core), nil
}

// AsynqLogger adapts zap to asynq.Logger.
type AsynqLogger struct{ S *zap.SugaredLogger }

func (l AsynqLogger) Debug(args ...any) { l.S.Debug(args...) }
func (l AsynqLogger) Info(args ...any)  { l.S.Info(args...) }
func (l AsynqLogger) Warn(args ...any)  { l.S.Warn(args...) }
func (l AsynqLogger) Error(args ...any) { l.S.Error(args...) }
func (l AsynqLogger) Fatal(args ...any) { l.S.Error(args...) } // never exit the process from a library
