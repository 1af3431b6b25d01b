package sockets

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// fakeConn is a connection that ends on Drain after a delay, or never.
type fakeConn struct {
	set     *Set[*fakeConn]
	stuck   bool // ignores Drain
	drained atomic.Bool
	killed  atomic.Bool
}

func (c *fakeConn) Drain() {
	c.drained.Store(true)
	if !c.stuck {
		go func() { time.Sleep(10 * time.Millisecond); c.set.Remove(c) }()
	}
}

func (c *fakeConn) Kill() { c.killed.Store(true) }

func TestSetShutdownDrainsAndWaits(t *testing.T) {
	var s Set[*fakeConn]
	var conns []*fakeConn
	for i := 0; i < 3; i++ {
		c, ok := s.Add(func() *fakeConn { return &fakeConn{set: &s} })
		if !ok {
			t.Fatal("Add refused before shutdown")
		}
		conns = append(conns, c)
	}
	if s.Len() != 3 {
		t.Fatalf("Len = %d", s.Len())
	}
	n := 0
	s.Each(func(*fakeConn) { n++ })
	if n != 3 {
		t.Fatalf("Each saw %d", n)
	}
	cut, err := s.Shutdown(context.Background())
	if cut != 0 || err != nil || s.Len() != 0 {
		t.Fatalf("Shutdown = %d, %v; Len %d", cut, err, s.Len())
	}
	for _, c := range conns {
		if !c.drained.Load() || c.killed.Load() {
			t.Errorf("conn drained %v killed %v", c.drained.Load(), c.killed.Load())
		}
	}
	if _, ok := s.Add(func() *fakeConn { t.Fatal("newConn called while draining"); return nil }); ok {
		t.Fatal("Add accepted after shutdown")
	}
}

func TestSetShutdownCutsWhatDoesNotEnd(t *testing.T) {
	var s Set[*fakeConn]
	stuck, _ := s.Add(func() *fakeConn { return &fakeConn{set: &s, stuck: true} })
	s.Add(func() *fakeConn { return &fakeConn{set: &s} })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	cut, err := s.Shutdown(ctx)
	if cut != 1 || !errors.Is(err, context.DeadlineExceeded) || !stuck.killed.Load() {
		t.Fatalf("cut %d, err %v, killed %v", cut, err, stuck.killed.Load())
	}
	s.Remove(stuck)
	s.Remove(stuck) // removing twice is harmless
}
