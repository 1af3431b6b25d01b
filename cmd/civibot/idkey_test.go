package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/internal/redistest"
)

func TestInstallationKey(t *testing.T) {
	ctx := context.Background()
	t.Run("configured", func(t *testing.T) {
		k, err := installationKey(ctx, config.Security{IDKey: "0123456789abcdef0123"}, nil, "")
		if err != nil || string(k) != "0123456789abcdef0123" {
			t.Fatalf("key %q, %v", k, err)
		}
		if _, err := installationKey(ctx, config.Security{IDKey: "short"}, nil, ""); err == nil || !strings.Contains(err.Error(), "at least 16") {
			t.Fatalf("short key: %v", err)
		}
	})
	t.Run("data dir: generated once, then reused", func(t *testing.T) {
		dir := t.TempDir()
		sec := config.Security{DataDir: filepath.Join(dir, "data")}
		a, err := installationKey(ctx, sec, nil, "")
		if err != nil || len(a) != 64 {
			t.Fatalf("key %q, %v", a, err)
		}
		b, err := installationKey(ctx, sec, nil, "")
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("second start: %q vs %q, %v", a, b, err)
		}
		fi, err := os.Stat(filepath.Join(sec.DataDir, idKeyFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v %v", fi, err)
		}
	})
	t.Run("redis: every instance gets the same key", func(t *testing.T) {
		rdb := redistest.Start(t).Client(t)
		a, err := installationKey(ctx, config.Security{}, rdb, "civibot:")
		if err != nil {
			t.Fatal(err)
		}
		b, err := installationKey(ctx, config.Security{}, rdb, "civibot:")
		if err != nil || !bytes.Equal(a, b) || len(a) != 64 {
			t.Fatalf("instances disagree: %q vs %q, %v", a, b, err)
		}
	})
}

// TestInstallationKeyAfterRedisLoss: when Redis comes back empty, the
// running instances put their key back and a restarted instance finds its
// copy, so every instance keeps deriving the same ids (issue 21.8).
func TestInstallationKeyAfterRedisLoss(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rdb := redistest.Start(t).Client(t)
	secA, secB := config.Security{DataDir: t.TempDir()}, config.Security{DataDir: t.TempDir()}
	a, err := installationKey(ctx, secA, rdb, "civibot:")
	if err != nil {
		t.Fatal(err)
	}
	// Redis loses everything; instance B restarts before A notices: its copy agrees.
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	b, err := installationKey(ctx, secA, rdb, "civibot:")
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("restarted with its copy: %q vs %q, %v", b, a, err)
	}
	// Lost again; the running instance puts its key back before a new instance (no copy) starts.
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	keepInstallationKey(ctx, rdb, "civibot:", a, 20*time.Millisecond, &wg, slog.New(slog.DiscardHandler))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if v, _ := rdb.Get(ctx, "civibot:id_key").Result(); v == string(a) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key was not put back into Redis")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, err := installationKey(ctx, secB, rdb, "civibot:")
	if err != nil || !bytes.Equal(a, c) {
		t.Fatalf("new instance: %q vs %q, %v", c, a, err)
	}
}
