package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
