// Package obs is hookq's operations side: zap logging, Prometheus metrics,
// the admin listener (/healthz, /readyz, /metrics) and the Asynqmon mount.
package obs

import (
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// LogOptions shape a logger; the zero value is JSON with every line kept.
type LogOptions struct {
	// Console writes human-readable lines instead of JSON.
	Console bool
	// SampleFirst > 0 keeps, per message and second, the first SampleFirst
	// info and debug lines, then 1 in 100, so per-event lines under load
	// cannot bury the rest. Warnings and errors are always written.
	SampleFirst int
}

// NewLogger returns a JSON logger at level writing to w, every line kept.
func NewLogger(w io.Writer, level string) (*zap.Logger, error) {
	return NewLoggerWith(w, level, LogOptions{})
}

// NewLoggerWith returns a logger at level writing to w, shaped by o.
func NewLoggerWith(w io.Writer, level string, o LogOptions) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	var enc zapcore.Encoder
	if o.Console {
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(ec)
	} else {
		ec := zap.NewProductionEncoderConfig()
		ec.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(ec)
	}
	sink := zapcore.AddSync(w)
	if o.SampleFirst <= 0 {
		return zap.New(zapcore.NewCore(enc, sink, lvl)), nil
	}
	chatty := zapcore.NewCore(enc, sink, zap.LevelEnablerFunc(func(l zapcore.Level) bool { return lvl.Enabled(l) && l < zapcore.WarnLevel }))
	loud := zapcore.NewCore(enc.Clone(), sink, zap.LevelEnablerFunc(func(l zapcore.Level) bool { return lvl.Enabled(l) && l >= zapcore.WarnLevel }))
	sampled := zapcore.NewSamplerWithOptions(chatty, time.Second, o.SampleFirst, 100)
	return zap.New(zapcore.NewTee(sampled, loud)), nil
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// AsynqLogger adapts zap to asynq.Logger.
type AsynqLogger struct{ S *zap.SugaredLogger }

func (l AsynqLogger) Debug(args ...any) { l.S.Debug(args...) }
func (l AsynqLogger) Info(args ...any)  { l.S.Info(args...) }
func (l AsynqLogger) Warn(args ...any)  { l.S.Warn(args...) }
func (l AsynqLogger) Error(args ...any) { l.S.Error(args...) }
func (l AsynqLogger) Fatal(args ...any) { l.S.Error(args...) } // never exit the process from a library
