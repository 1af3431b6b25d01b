package redistest

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a real Redis Cluster for a test: masters (each a
// redis-server in cluster mode on a free port) sharing the 16,384 slots
// evenly, and optionally one replica per master.
type Cluster struct {
	Masters  []*Server
	Replicas []*Server
	ids      map[string]string // address → node id
}

// StartCluster starts a cluster of masters (and a replica for each when
// replicas is set) and stops it when the test ends. It returns once every
// node sees the cluster as ok.
func StartCluster(t testing.TB, masters int, replicas bool) *Cluster {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatalf("redistest: %v (install it: apt-get install redis-server, or run `make test`)", err)
	}
	c := &Cluster{ids: map[string]string{}}
	node := func() *Server {
		dir := t.TempDir()
		s := &Server{Addr: freeAddr(t), dir: dir, bin: bin, args: []string{"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "3000"}}
		s.start(t)
		t.Cleanup(s.kill)
		c.ids[s.Addr] = admin(s.Addr, func(ctx context.Context, r *redis.Client) (string, error) {
			return r.Do(ctx, "cluster", "myid").Text()
		})
		return s
	}
	for range masters {
		c.Masters = append(c.Masters, node())
	}
	if replicas {
		for range masters {
			c.Replicas = append(c.Replicas, node())
		}
	}
	all := append(append([]*Server(nil), c.Masters...), c.Replicas...)
	ctx := context.Background()
	first := redis.NewClient(&redis.Options{Addr: all[0].Addr})
	defer first.Close()
	for _, s := range all[1:] {
		host, port, _ := net.SplitHostPort(s.Addr)
		if err := first.ClusterMeet(ctx, host, port).Err(); err != nil {
			t.Fatalf("redistest: cluster meet: %v", err)
		}
	}
	for i, m := range c.Masters {
		lo, hi := i*16384/masters, (i+1)*16384/masters-1
		r := redis.NewClient(&redis.Options{Addr: m.Addr})
		err := r.Do(ctx, "cluster", "addslotsrange", lo, hi).Err()
		r.Close()
		if err != nil {
			t.Fatalf("redistest: cluster addslotsrange: %v", err)
		}
	}
	waitUntil(t, 20*time.Second, "every node to know the others", func() bool {
		for _, s := range all {
			info := admin(s.Addr, func(ctx context.Context, r *redis.Client) (string, error) { return r.ClusterInfo(ctx).Result() })
			if !strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(all))) {
				return false
			}
		}
		return true
	})
	for i, r := range c.Replicas {
		id := c.ids[c.Masters[i].Addr]
		rc := redis.NewClient(&redis.Options{Addr: r.Addr})
		err := rc.Do(ctx, "cluster", "replicate", id).Err()
		rc.Close()
		if err != nil {
			t.Fatalf("redistest: cluster replicate: %v", err)
		}
	}
	waitUntil(t, 30*time.Second, "the cluster to be ok on every node", func() bool {
		for _, s := range all {
			info := admin(s.Addr, func(ctx context.Context, r *redis.Client) (string, error) { return r.ClusterInfo(ctx).Result() })
			if !strings.Contains(info, "cluster_state:ok") {
				return false
			}
		}
		for _, r := range c.Replicas {
			info, err := infoOf(r.Addr, "replication")
			if err != nil || !strings.Contains(info, "master_link_status:up") {
				return false
			}
		}
		return true
	})
	return c
}

// Addrs are the master addresses (config redis.addrs, seed nodes).
func (c *Cluster) Addrs() []string {
	var out []string
	for _, m := range c.Masters {
		out = append(out, m.Addr)
	}
	return out
}

// Client returns a ClusterClient for the cluster, closed when the test
// ends.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	t.Helper()
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// Slot is the cluster slot of key.
func (c *Cluster) Slot(t testing.TB, key string) int {
	t.Helper()
	n := admin(c.Masters[0].Addr, func(ctx context.Context, r *redis.Client) (string, error) {
		v, err := r.ClusterKeySlot(ctx, key).Result()
		return strconv.FormatInt(v, 10), err
	})
	slot, err := strconv.Atoi(n)
	if err != nil {
		t.Fatalf("redistest: keyslot %q: %q", key, n)
	}
	return slot
}

// Owner is the index of the master that holds slot.
func (c *Cluster) Owner(slot int) int {
	return slot * len(c.Masters) / 16384 // until MigrateSlot moves it
}

// MigrateSlot moves slot from master from to master to, as redis-cli
// --cluster reshard does: the target imports, the source migrates, the
// keys move a few at a time (pause between batches, so that clients meet
// ASK redirects and TRYAGAIN while the slot's keys are split), then every
// node is told the new owner (MOVED from then on).
func (c *Cluster) MigrateSlot(ctx context.Context, slot, from, to int, pause time.Duration) error {
	src, dst := c.Masters[from], c.Masters[to]
	srcID, dstID := c.ids[src.Addr], c.ids[dst.Addr]
	s := redis.NewClient(&redis.Options{Addr: src.Addr})
	defer s.Close()
	d := redis.NewClient(&redis.Options{Addr: dst.Addr})
	defer d.Close()
	if err := d.Do(ctx, "cluster", "setslot", slot, "importing", srcID).Err(); err != nil {
		return fmt.Errorf("redistest: setslot importing: %w", err)
	}
	if err := s.Do(ctx, "cluster", "setslot", slot, "migrating", dstID).Err(); err != nil {
		return fmt.Errorf("redistest: setslot migrating: %w", err)
	}
	host, port, _ := net.SplitHostPort(dst.Addr)
	for {
		keys, err := s.ClusterGetKeysInSlot(ctx, slot, 2).Result()
		if err != nil {
			return fmt.Errorf("redistest: getkeysinslot: %w", err)
		}
		if len(keys) == 0 {
			break
		}
		args := []any{"migrate", host, port, "", 0, 5000, "keys"}
		for _, k := range keys {
			args = append(args, k)
		}
		if err := s.Do(ctx, args...).Err(); err != nil {
			return fmt.Errorf("redistest: migrate: %w", err)
		}
		time.Sleep(pause)
	}
	for _, m := range append([]*Server{dst, src}, c.Masters...) {
		r := redis.NewClient(&redis.Options{Addr: m.Addr})
		err := r.Do(ctx, "cluster", "setslot", slot, "node", dstID).Err()
		r.Close()
		if err != nil {
			return fmt.Errorf("redistest: setslot node: %w", err)
		}
	}
	return nil
}

// admin runs fn on a client for addr and returns its text ("" on error).
func admin(addr string, fn func(context.Context, *redis.Client) (string, error)) string {
	r := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, _ := fn(ctx, r)
	return s
}
