package conversation

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

func TestLease(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testLease(t, NewMemory(Options{})) })
	t.Run("redis", func(t *testing.T) { testLease(t, NewRedis(redistest.Start(t).Client(t), Options{})) })
}

func testLease(t *testing.T, idem Idempotency) {
	ctx := context.Background()
	lease := Lease{Idempotency: idem, Hold: time.Minute, Keep: time.Hour, Timeout: 5 * time.Second}
	errWork := errors.New("work failed")
	do := func(l Lease, key string, werr error) (bool, int, error) {
		t.Helper()
		n := 0
		ran, err := l.Do(ctx, key, func(context.Context) error { n++; return werr })
		return ran, n, err
	}

	t.Run("done once", func(t *testing.T) {
		if ran, n, err := do(lease, "ok", nil); !ran || err != nil || n != 1 {
			t.Fatalf("first: ran %v, %v, %d runs", ran, err, n)
		}
		if ran, n, err := do(lease, "ok", nil); ran || err != nil || n != 0 {
			t.Fatalf("retry of done work: ran %v, %v, %d runs", ran, err, n)
		}
	})
	t.Run("a failure lets the retry through", func(t *testing.T) {
		if ran, _, err := do(lease, "fail", errWork); !ran || !errors.Is(err, errWork) {
			t.Fatalf("failing work: ran %v, %v", ran, err)
		}
		if ran, n, err := do(lease, "fail", nil); !ran || err != nil || n != 1 {
			t.Fatalf("retry: ran %v, %v, %d runs", ran, err, n)
		}
		if ran, _, _ := do(lease, "fail", nil); ran {
			t.Fatal("ran again after the retry succeeded")
		}
	})
	t.Run("a final failure is not retried", func(t *testing.T) {
		final := lease
		final.Final = func(err error) bool { return errors.Is(err, errWork) }
		if ran, _, err := do(final, "final", errWork); !ran || !errors.Is(err, errWork) {
			t.Fatalf("failing work: ran %v, %v", ran, err)
		}
		if ran, n, err := do(final, "final", nil); ran || err != nil || n != 0 {
			t.Fatalf("retry of a final failure: ran %v, %v, %d runs", ran, err, n)
		}
		other := errors.New("for now")
		if ran, _, err := do(final, "final2", other); !ran || !errors.Is(err, other) {
			t.Fatalf("failing work: ran %v, %v", ran, err)
		}
		if ran, n, _ := do(final, "final2", nil); !ran || n != 1 {
			t.Fatal("a failure Final does not name was not retried")
		}
	})
	t.Run("held by another worker", func(t *testing.T) {
		if ok, err := idem.Begin(ctx, "held", time.Minute); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if ran, n, err := do(lease, "held", nil); ran || err != nil || n != 0 {
			t.Fatalf("while held: ran %v, %v, %d runs", ran, err, n)
		}
	})
	t.Run("released although the caller went away", func(t *testing.T) {
		wctx, cancel := context.WithCancel(ctx)
		ran, err := lease.Do(wctx, "gone", func(ctx context.Context) error {
			cancel()
			return ctx.Err()
		})
		if !ran || !errors.Is(err, context.Canceled) {
			t.Fatalf("ran %v, %v", ran, err)
		}
		if ran, n, err := do(lease, "gone", nil); !ran || err != nil || n != 1 {
			t.Fatalf("retry: ran %v, %v, %d runs", ran, err, n)
		}
	})
	t.Run("concurrent workers", func(t *testing.T) {
		var mu sync.Mutex
		runs := 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = lease.Do(ctx, "race", func(context.Context) error {
					mu.Lock()
					runs++
					mu.Unlock()
					time.Sleep(10 * time.Millisecond)
					return nil
				})
			}()
		}
		wg.Wait()
		if runs != 1 {
			t.Fatalf("%d workers ran the work, want 1", runs)
		}
	})
}

// TestLeaseRedisDown: without Redis the lease cannot be taken and the
// work does not run; Redis going away during the work is logged, not
// mistaken for a failure of the work.
func TestLeaseRedisDown(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	var logs bytes.Buffer
	lease := Lease{Idempotency: NewRedis(srv.Client(t), Options{}), Hold: time.Minute, Keep: time.Hour, Timeout: 5 * time.Second,
		Log: slog.New(slog.NewTextHandler(&logs, nil))}

	ran, err := lease.Do(ctx, "during", func(context.Context) error {
		srv.Stop(t)
		return nil
	})
	if !ran || err != nil {
		t.Fatalf("work done, Redis gone before Done: ran %v, %v", ran, err)
	}
	if !strings.Contains(logs.String(), "mark an idempotency key done failed") || !strings.Contains(logs.String(), "key=during") {
		t.Errorf("the failed Done was not logged:\n%s", logs.String())
	}
	n := 0
	ran, err = lease.Do(ctx, "down", func(context.Context) error { n++; return nil })
	if ran || n != 0 || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Redis down: ran %v (%d runs), %v; want ErrUnavailable and no work", ran, n, err)
	}
	srv.Restart(t)
	testtime.WaitFor(t, 10*time.Second, "Redis back", func() bool {
		ran, err = lease.Do(ctx, "down", func(context.Context) error { n++; return nil })
		return err == nil
	})
	if !ran || n != 1 {
		t.Fatalf("after Redis came back: ran %v, %d runs", ran, n)
	}
}
