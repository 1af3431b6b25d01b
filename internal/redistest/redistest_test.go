package redistest

import (
	"context"
	"testing"
)

func TestStartStopRestartKeepsData(t *testing.T) {
	ctx := context.Background()
	s := Start(t)
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("set: %v", err)
	}
	s.Stop(t)
	if err := c.Get(ctx, "k").Err(); err == nil {
		t.Fatal("get while stopped: want an error, got none")
	}
	s.Restart(t)
	got, err := c.Get(ctx, "k").Result()
	if err != nil || got != "v" {
		t.Fatalf("after restart: got %q, %v; want \"v\"", got, err)
	}
}
