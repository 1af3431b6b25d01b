package conversation

import (
	"context"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/redistest"
)

// usage is what the web chat needs of a Usage.
type usage interface {
	Add(ctx context.Context, key string, n int64, now time.Time, window time.Duration) (int64, error)
}

func TestUsage(t *testing.T) {
	backends := map[string]func(t *testing.T) usage{
		"memory": func(t *testing.T) usage {
			return NewMemoryUsage()
		},
		"redis": func(t *testing.T) usage {
			return NewRedisUsage(redistest.Start(t).Client(t), "test:")
		},
	}
	for name, newUsage := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			u := newUsage(t)
			day := time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC)
			for i, want := range []int64{100, 250, 251} {
				n := []int64{100, 150, 1}[i]
				if got, err := u.Add(ctx, "a", n, day.Add(time.Duration(i)*time.Minute), 24*time.Hour); err != nil || got != want {
					t.Fatalf("add %d: %d, %v; want %d", i, got, err, want)
				}
			}
			if got, _ := u.Add(ctx, "b", 5, day, 24*time.Hour); got != 5 {
				t.Errorf("another key: %d, want 5", got)
			}
			// The next UTC day starts again.
			if got, _ := u.Add(ctx, "a", 7, day.Add(time.Hour), 24*time.Hour); got != 7 {
				t.Errorf("next day: %d, want 7", got)
			}
		})
	}
}
