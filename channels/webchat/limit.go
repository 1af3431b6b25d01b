package webchat

import (
	"sync"
	"time"

	"github.com/civibot/civibot/internal/clientaddr"
)

// bucket is a token bucket: rate tokens per second, at most burst.
type bucket struct {
	tokens float64
	last   time.Time
}

// take takes one token. When none is left it returns false and how long
// until one is.
func (b *bucket) take(now time.Time, perMinute, burst int) (bool, time.Duration) {
	rate := float64(perMinute) / 60
	if b.last.IsZero() {
		b.tokens = float64(burst)
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(burst), b.tokens+d.Seconds()*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
	return false, wait
}

// full reports whether the bucket has refilled completely by now.
func (b *bucket) full(now time.Time, perMinute, burst int) bool {
	return b.last.IsZero() || b.tokens+now.Sub(b.last).Seconds()*float64(perMinute)/60 >= float64(burst)
}

// ipState is what is known about one client address.
type ipState struct {
	conns    int
	msgs     bucket
	connects bucket
}

// ipTable limits connections and messages per client address. Entries of
// addresses without open connections are swept once their buckets have
// refilled, so the table stays as small as the set of active clients.
type ipTable struct {
	cfg Config

	mu        sync.Mutex
	m         map[string]*ipState
	lastSweep time.Time
}

func newIPTable(cfg Config) *ipTable { return &ipTable{cfg: cfg, m: map[string]*ipState{}} }

// sweepEvery is how often idle entries are dropped.
const sweepEvery = time.Minute

// admit counts a new connection from ip. It returns the reason it refused
// ("" when admitted) and how long the client should wait.
func (t *ipTable) admit(ip string, now time.Time) (string, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.lastSweep) > sweepEvery {
		t.sweepLocked(now)
	}
	s := t.m[ip]
	if s == nil {
		s = &ipState{}
		t.m[ip] = s
	}
	if s.conns >= t.cfg.IPConnections {
		return "too_many_connections", 10 * time.Second
	}
	if ok, wait := s.connects.take(now, t.cfg.IPConnectsPerMinute, t.cfg.IPConnectBurst); !ok {
		return "too_many_connections", wait
	}
	s.conns++
	return "", 0
}

// release uncounts a connection.
func (t *ipTable) release(ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.m[ip]; s != nil && s.conns > 0 {
		s.conns--
	}
}

// allowMessage takes a token from ip's message bucket.
func (t *ipTable) allowMessage(ip string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[ip]
	if s == nil {
		s = &ipState{}
		t.m[ip] = s
	}
	return s.msgs.take(now, t.cfg.IPMessagesPerMinute, t.cfg.IPMessageBurst)
}

func (t *ipTable) sweepLocked(now time.Time) {
	t.lastSweep = now
	for ip, s := range t.m {
		if s.conns == 0 && s.msgs.full(now, t.cfg.IPMessagesPerMinute, t.cfg.IPMessageBurst) &&
			s.connects.full(now, t.cfg.IPConnectsPerMinute, t.cfg.IPConnectBurst) {
			delete(t.m, ip)
		}
	}
}

// clientKey is the rate-limit key of a request's address: the IP, or its
// /64 network for IPv6 (clientaddr, shared with the console's login limits).
func clientKey(remoteAddr string) string { return clientaddr.Key(remoteAddr) }
