// Package redistest runs a real redis-server for tests: one process per
// test on a free loopback port, with its data in the test's temp dir
// (append-only file on; Stop is a clean SHUTDOWN, so Stop and Start keep the
// data, as a restarted production Redis with AOF would).
//
// The binary is found as $REDIS_SERVER_BIN, then redis-server on PATH, then
// /usr/bin/redis-server. `make test` installs it when it is missing. A test
// that needs Redis fails (it does not skip) when there is none.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process owned by a test.
type Server struct {
	Addr string
	dir  string
	bin  string
	args []string // extra arguments (replicaof, cluster mode)
	cmd  *exec.Cmd
}

// Start starts a redis-server on a free port and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("redistest: %v (install it: apt-get install redis-server, or run `make test`)", err)
	}
	s := &Server{Addr: freeAddr(t), dir: t.TempDir(), bin: bin}
	s.start(t)
	t.Cleanup(func() { s.kill() })
	return s
}

// URL is the server's redis:// URL, as it would appear in config.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Client returns a UniversalClient for the server, closed when the test ends.
func (s *Server) Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	c := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:       []string{s.Addr},
		DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second,
		MaxRetries:  -1, // tests see failures as they happen
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop shuts the server down cleanly (the append-only file is kept), so a
// test can see what happens while Redis is away.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.cmd == nil {
		return
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	_ = c.Shutdown(context.Background()).Err() // the connection drops: an error is expected
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// Restart starts the server again on the same address with the same data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.cmd != nil {
		s.Stop(t)
	}
	s.start(t)
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command(s.bin,
		"--bind", host, "--port", port,
		"--dir", s.dir,
		"--save", "",
		"--appendonly", "yes", "--appendfsync", "everysec", // Stop is a clean SHUTDOWN, which flushes the AOF
		"--protected-mode", "no",
		"--daemonize", "no",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	)
	cmd.Args = append(cmd.Args, s.args...)
	// Its own process group: kill takes the children it forks (an RDB for
	// a replica's sync, an AOF rewrite) with it, which would otherwise
	// still be writing into the test's temporary directory at cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("redistest: start %s: %v", s.bin, err)
	}
	s.cmd = cmd
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.kill()
			t.Fatalf("redistest: redis-server on %s did not answer: %v\n%s", s.Addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL) // the group: the server and its forks
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func binary() (string, error) {
	if b := os.Getenv("REDIS_SERVER_BIN"); b != "" {
		return b, nil
	}
	if b, err := exec.LookPath("redis-server"); err == nil {
		return b, nil
	}
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		return "/usr/bin/redis-server", nil
	}
	return "", fmt.Errorf("redis-server not found")
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: free port: %v", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
