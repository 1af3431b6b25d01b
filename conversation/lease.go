package conversation

import (
	"context"
	"log/slog"
	"time"
)

// Lease does a piece of work at most once per key, across a provider's
// retries and across instances (an SMS answered once per MessageSid, a
// Telegram update handled once, a caseworker's reply pushed once): it
// takes the key's lease (Idempotency.Begin), does the work, and then marks
// the key done — or, when the work failed, gives the lease up
// (Idempotency.Abandon) so that the retry does the work.
type Lease struct {
	// Idempotency keeps the keys.
	Idempotency Idempotency
	// Hold is how long one worker may hold a key before another may take
	// it: longer than the work takes.
	Hold time.Duration
	// Keep is how long a finished key is remembered: longer than the
	// provider retries.
	Keep time.Duration
	// Timeout bounds each call to Idempotency (0: only ctx bounds them).
	// Done and Abandon run even when ctx was cancelled during the work:
	// the work's outcome must be recorded.
	Timeout time.Duration
	// Final reports that a failure of the work would fail the same way on
	// a retry: the key is marked done instead of released. nil: every
	// failure is released for a retry.
	Final func(error) bool
	// Log gets the failures to record the outcome (the lease then expires
	// by itself after Hold); nil discards them.
	Log *slog.Logger
}

// Do runs work under key's lease. When the key is done, or another worker
// holds it, the work does not run: ran is false and err nil. When the
// lease cannot be taken (the store is down), ran is false and err says
// why: nothing was done, the caller should let the provider retry.
// Otherwise ran is true and err is the work's error.
func (l Lease) Do(ctx context.Context, key string, work func(ctx context.Context) error) (ran bool, err error) {
	bctx, cancel := l.bound(ctx)
	fresh, err := l.Idempotency.Begin(bctx, key, l.Hold)
	cancel()
	if err != nil || !fresh {
		return false, err
	}
	werr := work(ctx)
	rctx, cancel := l.bound(context.WithoutCancel(ctx))
	defer cancel()
	if werr != nil && (l.Final == nil || !l.Final(werr)) {
		if err := l.Idempotency.Abandon(rctx, key); err != nil {
			l.warn(ctx, "conversation: release an idempotency lease failed (it expires by itself)", key, err)
		}
		return true, werr
	}
	if err := l.Idempotency.Done(rctx, key, l.Keep); err != nil {
		l.warn(ctx, "conversation: mark an idempotency key done failed (a retry within the lease is still recognised)", key, err)
	}
	return true, werr
}

// Finished reports whether key's work is done, after Do did not run it:
// false means another worker holds the lease and may still fail or die,
// so the provider should deliver again later rather than be told it is
// handled.
func (l Lease) Finished(ctx context.Context, key string) (bool, error) {
	bctx, cancel := l.bound(ctx)
	defer cancel()
	return l.Idempotency.Finished(bctx, key)
}

func (l Lease) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if l.Timeout > 0 {
		return context.WithTimeout(ctx, l.Timeout)
	}
	return ctx, func() {}
}

func (l Lease) warn(ctx context.Context, msg, key string, err error) {
	if l.Log != nil {
		l.Log.WarnContext(ctx, msg, "key", key, "error", err)
	}
}
