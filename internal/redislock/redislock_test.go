package redislock_test

import (
	"context"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/redislock"
	"github.com/civibot/civibot/internal/redistest"
)

func TestOneHolderAndTakeover(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Start(t).Client(t)
	a, _ := redislock.New(rdb, "lock", 600*time.Millisecond)
	b, _ := redislock.New(rdb, "lock", 600*time.Millisecond)
	if ok, err := a.Acquire(ctx); !ok || err != nil {
		t.Fatalf("a: %v %v", ok, err)
	}
	if ok, _ := a.Acquire(ctx); !ok {
		t.Error("a could not take the lock it holds")
	}
	if ok, _ := b.Acquire(ctx); ok {
		t.Fatal("b took a held lock")
	}
	// a keeps it alive past its TTL.
	kctx, cancel := context.WithCancel(ctx)
	kept := make(chan error, 1)
	go func() { kept <- a.Keep(kctx) }()
	time.Sleep(time.Second)
	if ok, _ := b.Acquire(ctx); ok {
		t.Fatal("b took a lock that a renews")
	}
	cancel()
	if err := <-kept; err != nil {
		t.Errorf("Keep after ctx ended: %v", err)
	}
	// a dies without releasing: b takes over after the TTL.
	time.Sleep(700 * time.Millisecond)
	if ok, _ := b.Acquire(ctx); !ok {
		t.Fatal("b could not take an expired lock")
	}
	if ok, _ := a.Renew(ctx); ok {
		t.Error("a renewed b's lock")
	}
	if err := a.Keep(ctx); err == nil {
		t.Error("Keep did not report the lock lost")
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.Acquire(ctx); ok {
		t.Error("a's release freed b's lock")
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.Acquire(ctx); !ok {
		t.Error("the released lock could not be taken")
	}
}
