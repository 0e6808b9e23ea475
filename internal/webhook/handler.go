package webhook

import "context"

// HandlerFunc processes one verified event: the one function type of the
// worker's built-in handlers and of business handlers. Asynq runs a task at
// least once and sometimes twice, so it must be idempotent and honour ctx.
type HandlerFunc func(ctx context.Context, ev *Event) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, ev *Event) error { return f(ctx, ev) }
