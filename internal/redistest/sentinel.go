package redistest

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name the sentinels of StartSentinel monitor.
const MasterName = "civibot"

// Sentinel is a real Redis Sentinel setup for a test: a master, replicas
// and three sentinels (quorum 2), each a process on a free loopback port.
// The sentinels judge a master down after 1 s, so a failover takes a few
// seconds. Each replica replicates through a Link the test can cut, to
// open a replication gap at will.
type Sentinel struct {
	Master   *Server
	Replicas []*Server
	// Sentinels are the sentinels' addresses (config redis.addrs).
	Sentinels []string
	// Links carry the replication stream from the master to each replica.
	Links []*Link
	procs []*exec.Cmd
}

// StartSentinel starts the setup with the given number of replicas and
// stops it when the test ends. The
// sentinel binary is $REDIS_SENTINEL_BIN, redis-sentinel on PATH, or
// /usr/bin/redis-sentinel (Debian's redis-sentinel package; `make test`
// installs it).
func StartSentinel(t testing.TB, replicas int) *Sentinel {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("redistest: %v (install it: apt-get install redis-server, or run `make test`)", err)
	}
	sbin, err := sentinelBinary()
	if err != nil {
		t.Fatalf("redistest: %v (install it: apt-get install redis-sentinel, or run `make test`)", err)
	}
	master := &Server{Addr: freeAddr(t), dir: t.TempDir(), bin: bin}
	master.start(t)
	t.Cleanup(master.kill)
	s := &Sentinel{Master: master}
	for range replicas {
		link := newLink(t, master.Addr)
		host, port, _ := net.SplitHostPort(link.Addr)
		replica := &Server{Addr: freeAddr(t), dir: t.TempDir(), bin: bin, args: []string{"--replicaof", host, port}}
		replica.start(t)
		t.Cleanup(replica.kill)
		s.Replicas, s.Links = append(s.Replicas, replica), append(s.Links, link)
		waitUntil(t, 10*time.Second, "the replica to sync", func() bool {
			info, err := infoOf(replica.Addr, "replication")
			return err == nil && strings.Contains(info, "master_link_status:up")
		})
	}
	mhost, mport, _ := net.SplitHostPort(master.Addr)
	for range 3 {
		addr := freeAddr(t)
		h, p, _ := net.SplitHostPort(addr)
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		cfg := fmt.Sprintf("bind %s\nport %s\ndir %s\nprotected-mode no\nlogfile %s\n"+
			"sentinel monitor %s %s %s 2\nsentinel down-after-milliseconds %s 1000\n"+
			"sentinel failover-timeout %s 10000\nsentinel parallel-syncs %s 1\n",
			h, p, dir, filepath.Join(dir, "sentinel.log"), MasterName, mhost, mport, MasterName, MasterName, MasterName)
		if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sbin, conf)
		if err := cmd.Start(); err != nil {
			t.Fatalf("redistest: start %s: %v", sbin, err)
		}
		s.procs = append(s.procs, cmd)
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		s.Sentinels = append(s.Sentinels, addr)
	}
	// Every sentinel knows the master and its replica, and the other
	// sentinels (else a failover cannot reach its quorum).
	for _, a := range s.Sentinels {
		waitUntil(t, 20*time.Second, "sentinel "+a+" to see the replica and the other sentinels", func() bool {
			c := redis.NewSentinelClient(&redis.Options{Addr: a, MaxRetries: -1})
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			reps, err := c.Replicas(ctx, MasterName).Result()
			if err != nil || len(reps) != replicas {
				return false
			}
			sen, err := c.Sentinels(ctx, MasterName).Result()
			return err == nil && len(sen) == 2
		})
	}
	return s
}

// CurrentMaster asks the sentinels where the master is now.
func (s *Sentinel) CurrentMaster(ctx context.Context) (string, error) {
	var last error
	for _, a := range s.Sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: a, MaxRetries: -1})
		addr, err := c.GetMasterAddrByName(ctx, MasterName).Result()
		c.Close()
		if err == nil && len(addr) == 2 {
			return net.JoinHostPort(addr[0], addr[1]), nil
		}
		last = err
	}
	return "", fmt.Errorf("redistest: no sentinel names a master: %v", last)
}

// KillMaster kills the master process at once (SIGKILL: no shutdown, no
// last write to anyone).
func (s *Sentinel) KillMaster(t testing.TB) {
	t.Helper()
	s.Master.kill()
}

// WaitFailover waits until the sentinels name a replica as the master and
// it answers as one, and returns it.
func (s *Sentinel) WaitFailover(t testing.TB, timeout time.Duration) *Server {
	t.Helper()
	var promoted *Server
	waitUntil(t, timeout, "the sentinels to promote a replica", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		m, err := s.CurrentMaster(ctx)
		if err != nil {
			return false
		}
		for _, r := range s.Replicas {
			if r.Addr == m {
				info, err := infoOf(r.Addr, "replication")
				if err == nil && strings.Contains(info, "role:master") {
					promoted = r
					return true
				}
			}
		}
		return false
	})
	return promoted
}

func sentinelBinary() (string, error) {
	if b := os.Getenv("REDIS_SENTINEL_BIN"); b != "" {
		return b, nil
	}
	if b, err := exec.LookPath("redis-sentinel"); err == nil {
		return b, nil
	}
	if _, err := os.Stat("/usr/bin/redis-sentinel"); err == nil {
		return "/usr/bin/redis-sentinel", nil
	}
	return "", fmt.Errorf("redis-sentinel not found")
}

func infoOf(addr, section string) (string, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.Info(ctx, section).Result()
}

func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("redistest: timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Link is a TCP relay between a replica and its master. Cut makes it
// drop whatever either side sends (a network partition the processes do
// not notice at once); the connections stay open.
type Link struct {
	Addr   string
	target string
	ln     net.Listener
	mu     sync.Mutex
	cut    bool
	conns  []net.Conn
}

func newLink(t testing.TB, target string) *Link {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Link{Addr: ln.Addr().String(), target: target, ln: ln}
	go l.accept()
	t.Cleanup(l.close)
	return l
}

func (l *Link) accept() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", l.target)
		if err != nil {
			c.Close()
			continue
		}
		l.mu.Lock()
		l.conns = append(l.conns, c, up)
		l.mu.Unlock()
		go l.pipe(up, c)
		go l.pipe(c, up)
	}
}

// pipe copies from src to dst while the link is whole; a closed side
// closes the other.
func (l *Link) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			l.mu.Lock()
			cut := l.cut
			l.mu.Unlock()
			if !cut {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

// Cut drops everything from now on.
func (l *Link) Cut() {
	l.mu.Lock()
	l.cut = true
	l.mu.Unlock()
}

func (l *Link) close() {
	l.ln.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
}
