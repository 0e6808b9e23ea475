package ctl

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/hookq/hookq/internal/queue"
)

// Recent returns the newest tasks of each of hookq's queues in each state
// (pending, active, retry, archived and, with history kept, completed), at
// most n per state. `hookqctl tail` diffs successive calls.
func (c *Ctl) Recent(ctx context.Context, n int) ([]*Task, error) {
	var out []*Task
	add := func(infos []*asynq.TaskInfo, err error) error {
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			return err
		}
		for _, i := range infos {
			out = append(out, newTask(i))
		}
		return nil
	}
	qs, err := c.queues()
	if err != nil {
		return nil, err
	}
	for _, q := range qs {
		if err := c.recent(ctx, q, n, add); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Ctl) recent(ctx context.Context, qname string, n int, add func([]*asynq.TaskInfo, error) error) error {
	// Lists are newest first; sorted sets oldest first, so read their end.
	if err := add(c.insp.ListPendingTasks(qname, asynq.PageSize(n))); err != nil {
		return err
	}
	if err := add(c.insp.ListActiveTasks(qname, asynq.PageSize(n))); err != nil {
		return err
	}
	for _, z := range []struct {
		state string
		list  func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error)
	}{{"retry", c.insp.ListRetryTasks}, {"archived", c.insp.ListArchivedTasks}, {"completed", c.insp.ListCompletedTasks}} {
		count, err := c.rdb.ZCard(ctx, queue.QueueKeyPrefix(qname)+z.state).Result()
		if err != nil {
			return fmt.Errorf("%s: %w", z.state, err)
		}
		last := int((count-1)/int64(n)) + 1
		for p := max(1, last-1); count > 0 && p <= last; p++ {
			if err := add(z.list(qname, asynq.PageSize(n), asynq.Page(p))); err != nil {
				return err
			}
		}
	}
	return nil
}
