package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/config"
)

// metricsTokenFile is the generated metrics token in the data directory.
const metricsTokenFile = "metrics_token"

// metricsTokenKey is the generated metrics token in Redis (after the key
// prefix), shared by every instance.
const metricsTokenKey = "metrics_token"

// metricsToken returns the bearer token /metrics requires ("" for none):
//   - metrics.token from config, else
//   - none when metrics.addr puts /metrics on a listener of its own (the
//     operator chose who can reach it), else
//   - a generated one, so that /metrics on the public address is never
//     open by default: kept in Redis (the first instance creates it) or in
//     the data directory (0600), and printed to out once, when created.
func metricsToken(ctx context.Context, cfg config.Config, rdb redis.UniversalClient, prefix string, out io.Writer) (string, error) {
	if !cfg.Metrics.Enabled || cfg.Metrics.Token != "" || cfg.Metrics.Addr != "" {
		return cfg.Metrics.Token, nil
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("metrics token: %w", err)
	}
	candidate := hex.EncodeToString(b)
	var token, kept string
	if rdb != nil {
		key := prefix + metricsTokenKey
		created, err := rdb.SetNX(ctx, key, candidate, 0).Result()
		if err != nil {
			return "", fmt.Errorf("metrics token in redis: %w", err)
		}
		if token, err = rdb.Get(ctx, key).Result(); err != nil {
			return "", fmt.Errorf("metrics token in redis: %w", err)
		}
		if created {
			kept = "in Redis, key " + key
		}
	} else {
		path := filepath.Join(cfg.Security.DataDir, metricsTokenFile)
		if raw, err := os.ReadFile(path); err == nil {
			token = strings.TrimSpace(string(raw))
		} else if errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(cfg.Security.DataDir, 0o700); err != nil {
				return "", fmt.Errorf("metrics token: %w", err)
			}
			if err := os.WriteFile(path, []byte(candidate+"\n"), 0o600); err != nil {
				return "", fmt.Errorf("metrics token: %w", err)
			}
			token, kept = candidate, "in "+path
		} else {
			return "", fmt.Errorf("metrics token: %w", err)
		}
	}
	if len(token) < 16 {
		return "", fmt.Errorf("metrics token: the kept token is too short; delete it to generate a new one")
	}
	if kept != "" {
		fmt.Fprintf(out, "GET /metrics needs \"Authorization: Bearer %s\" (generated now and shown once; kept %s; set metrics.token or metrics.addr to choose)\n", token, kept)
	}
	return token, nil
}

// serveMetricsOn serves h at /metrics on a listener of its own
// (metrics.addr) until ctx ends.
func serveMetricsOn(ctx context.Context, addr string, h http.Handler, log *slog.Logger, background *sync.WaitGroup) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics.addr: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second}
	background.Add(2)
	go func() {
		defer background.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.ErrorContext(ctx, "metrics listener stopped", "error", err)
		}
	}()
	go func() {
		defer background.Done()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.InfoContext(ctx, "metrics listening", "addr", ln.Addr().String())
	return nil
}

// metricsNote says in `config check` who can reach /metrics.
func metricsNote(cfg config.Config) string {
	m := cfg.Metrics
	if !m.Enabled {
		return ""
	}
	where, addr := "server.addr", cfg.Server.Addr
	if m.Addr != "" {
		where, addr = "metrics.addr", m.Addr
	}
	reach := "reachable only from this machine"
	if !loopback(addr) {
		reach = "reachable from other machines"
	}
	switch {
	case m.Token != "":
		return fmt.Sprintf("/metrics on %s (%s) is %s; it needs metrics.token", where, addr, reach)
	case m.Addr == "":
		return fmt.Sprintf("/metrics on server.addr (%s) is %s; it needs a token: serve generates one on first start, prints it once and keeps it (Redis key metrics_token, or data_dir/metrics_token); or set metrics.addr to an address only the monitoring host reaches", addr, reach)
	case !loopback(addr):
		return fmt.Sprintf("/metrics on metrics.addr (%s) is OPEN (no metrics.token) and %s: bind it to an interface only the monitoring host reaches, or set metrics.token", addr, reach)
	}
	return fmt.Sprintf("/metrics on metrics.addr (%s) is open (no metrics.token) but %s", addr, reach)
}
