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
	// FlushInterval > 0 buffers info and debug lines (up to 64 KiB) and
	// writes them at least this often, in one write instead of one per
	// line: a write syscall per request showed in ingest's profile.
	// Warnings and errors are written at once, flushing what is buffered
	// first so lines keep their order. Logger.Sync flushes: call it before
	// the process exits.
	FlushInterval time.Duration
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
	if o.SampleFirst <= 0 && o.FlushInterval <= 0 {
		return zap.New(zapcore.NewCore(enc, sink, lvl)), nil
	}
	chattySink, loudSink := sink, sink
	if o.FlushInterval > 0 {
		sink = zapcore.Lock(sink) // the flusher and warnings write from their own goroutines
		buf := &zapcore.BufferedWriteSyncer{WS: sink, Size: 64 << 10, FlushInterval: o.FlushInterval}
		chattySink, loudSink = buf, flushFirst{buf: buf, ws: sink}
	}
	var chatty zapcore.Core = zapcore.NewCore(enc, chattySink, zap.LevelEnablerFunc(func(l zapcore.Level) bool { return lvl.Enabled(l) && l < zapcore.WarnLevel }))
	loud := zapcore.NewCore(enc.Clone(), loudSink, zap.LevelEnablerFunc(func(l zapcore.Level) bool { return lvl.Enabled(l) && l >= zapcore.WarnLevel }))
	if o.SampleFirst > 0 {
		chatty = zapcore.NewSamplerWithOptions(chatty, time.Second, o.SampleFirst, 100)
	}
	return zap.New(zapcore.NewTee(chatty, loud)), nil
}

// flushFirst writes a warning or error at once, after what buf holds.
type flushFirst struct {
	buf *zapcore.BufferedWriteSyncer
	ws  zapcore.WriteSyncer
}

func (f flushFirst) Write(p []byte) (int, error) {
	// BufferedWriteSyncer.Sync flushes and syncs; a failed sync of a pipe
	// or terminal is not a failed write.
	f.buf.Sync()
	return f.ws.Write(p)
}

func (f flushFirst) Sync() error { return f.buf.Sync() }

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
