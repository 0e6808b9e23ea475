package trace

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// Tracer exports spans over OTLP/HTTP when tracing is configured. A nil
// *Tracer is valid and does nothing, which is the default: the hot path then
// pays only for carrying the traceparent string.
type Tracer struct {
	t oteltrace.Tracer
}

// Setup builds a Tracer exporting to an OTLP/HTTP endpoint such as
// http://collector:4318, sampling ratio of new traces (a provider's sampled
// flag is honoured). shutdown flushes what is buffered.
func Setup(ctx context.Context, endpoint, service string, ratio float64) (*Tracer, func(context.Context) error, error) {
	// Like OTEL_EXPORTER_OTLP_ENDPOINT: a base URL gets the signal's path.
	if u, err := url.Parse(endpoint); err == nil && (u.Path == "" || u.Path == "/") {
		endpoint = strings.TrimSuffix(endpoint, "/") + "/v1/traces"
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(2*time.Second)),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	return &Tracer{t: tp.Tracer("github.com/hookq/hookq")}, tp.Shutdown, nil
}

var propagator = propagation.TraceContext{}

// Start starts a span named name whose parent is the traceparent tp. When
// tp is not a valid traceparent the span starts a new trace, sampled at the
// configured ratio (an unsampled one still gets ids, flags 00, so logs join).
// It returns the span's context, the traceparent naming the new span (what
// to pass downstream), and a function ending the span with err as its
// status. On a nil Tracer it returns tp when valid, else a new traceparent.
func (t *Tracer) Start(ctx context.Context, name, tp string, attrs ...attribute.KeyValue) (context.Context, string, func(error)) {
	return t.StartAt(ctx, name, tp, time.Now(), attrs...)
}

// StartAt is Start for a span that began at at: ingest starts its span only
// once the request is verified, so that a stranger's traceparent never
// decides what is sampled, yet the span covers the whole request.
func (t *Tracer) StartAt(ctx context.Context, name, tp string, at time.Time, attrs ...attribute.KeyValue) (context.Context, string, func(error)) {
	if t == nil {
		return ctx, FromRequest(tp), func(error) {}
	}
	if _, ok := Parse(tp); ok {
		ctx = propagator.Extract(ctx, propagation.MapCarrier{Header: tp})
	}
	ctx, span := t.t.Start(ctx, name, oteltrace.WithAttributes(attrs...), oteltrace.WithTimestamp(at))
	out := propagation.MapCarrier{}
	propagator.Inject(ctx, out)
	next := out[Header]
	if _, ok := Parse(next); !ok {
		next = FromRequest(tp) // never hand on less than we were given
	}
	return ctx, next, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}
