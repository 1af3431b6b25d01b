// Package sockets keeps a server's open long-lived connections (the web
// chat's and the console's WebSockets) so it can count them, reach them and
// shut them down gracefully.
package sockets

import (
	"context"
	"sync"
)

// Conn is one open connection.
type Conn interface {
	comparable
	// Drain tells the connection the server is going away: it finishes what
	// is in flight, says goodbye and closes.
	Drain()
	// Kill closes the connection at once.
	Kill()
}

// Set is the open connections of one handler. The zero value is ready to use.
type Set[C Conn] struct {
	mu       sync.Mutex
	conns    map[C]struct{}
	draining bool
	wg       sync.WaitGroup
}

// Add registers the connection newConn makes, unless the set is shutting
// down (then it returns false and newConn is not called).
func (s *Set[C]) Add(newConn func() C) (C, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero C
	if s.draining {
		return zero, false
	}
	c := newConn()
	if s.conns == nil {
		s.conns = make(map[C]struct{})
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return c, true
}

// Remove unregisters a connection that has ended.
func (s *Set[C]) Remove(c C) {
	s.mu.Lock()
	_, ok := s.conns[c]
	delete(s.conns, c)
	s.mu.Unlock()
	if ok {
		s.wg.Done()
	}
}

// Len is the number of open connections.
func (s *Set[C]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Each calls fn for every open connection, with the set locked: fn must not
// block or call the set.
func (s *Set[C]) Each(fn func(C)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		fn(c)
	}
}

// Shutdown refuses new connections, drains the open ones and waits until
// they have ended. When ctx ends first it kills the rest and returns how
// many it cut with ctx's error.
func (s *Set[C]) Shutdown(ctx context.Context) (cut int, err error) {
	s.mu.Lock()
	s.draining = true
	open := make([]C, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.Drain()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return 0, nil
	case <-ctx.Done():
		s.mu.Lock()
		cut = len(s.conns)
		for c := range s.conns {
			c.Kill()
		}
		s.mu.Unlock()
		return cut, ctx.Err()
	}
}
