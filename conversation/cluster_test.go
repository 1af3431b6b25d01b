package conversation

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/testtime"
	"github.com/redis/go-redis/v9"
)

// startCluster runs a one-node Redis Cluster (all 16384 slots on one
// redis-server in cluster mode) and returns a ClusterClient for it. A
// one-node cluster still refuses multi-key commands, transactions and
// scripts across slots (CROSSSLOT), so it proves the hash tags are right.
//
// internal/redistest has no cluster mode yet; this belongs there.
func startCluster(t *testing.T) redis.UniversalClient {
	t.Helper()
	bin := os.Getenv("REDIS_SERVER_BIN")
	if bin == "" {
		if b, err := exec.LookPath("redis-server"); err == nil {
			bin = b
		} else {
			bin = "/usr/bin/redis-server"
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--dir", dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
		"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
		"--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s in cluster mode: %v", bin, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + port
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer admin.Close()
	testtime.WaitFor(t, 10*time.Second, "redis-server in cluster mode to answer", func() bool {
		return admin.Ping(ctx).Err() == nil
	})
	if err := admin.Do(ctx, "cluster", "addslotsrange", 0, 16383).Err(); err != nil {
		t.Fatalf("cluster addslotsrange: %v", err)
	}
	testtime.WaitFor(t, 10*time.Second, "the cluster to be ok", func() bool {
		info, err := admin.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestRedisClusterContract runs the whole contract on Redis Cluster. The
// subtests share one cluster (it takes 2s to become writable), each with
// its own key prefix.
func TestRedisClusterContract(t *testing.T) {
	client := startCluster(t)
	n := 0
	testStore(t, func(t *testing.T) backend {
		clock := newTestClock()
		n++
		prefix := fmt.Sprintf("test%d:", n)
		return backend{
			s:              NewRedis(client, Options{Prefix: prefix, Now: clock.Now, Retention: testRetention}),
			clock:          clock,
			retention:      testRetention,
			checkRetention: checkRedisRetention,
		}
	})
}

// TestClusterRefusesCrossSlot shows the one-node cluster is strict: without
// the hash tags, a transaction over a conversation's keys fails.
func TestClusterRefusesCrossSlot(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t)
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "civibot:c:x:conv", "1", 0)
		p.Set(ctx, "civibot:c:x:msgs", "1", 0)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("transaction across slots: %v, want CROSSSLOT", err)
	}
}
