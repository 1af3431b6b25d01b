package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/config"
)

// idKeyFile is the generated installation key in the data directory.
const idKeyFile = "id_key"

// idKeyCheckEvery is how often serve checks that Redis still has the
// installation key.
const idKeyCheckEvery = 30 * time.Second

// installationKey returns the key that turns chat ids and phone numbers into
// conversation ids (conversation.TelegramID, conversation.PhoneID). Every
// instance must use the same key, or a citizen's conversation splits:
//   - security.id_key from config (or CIVIBOT_SECURITY_ID_KEY_FILE), else
//   - with Redis, the key kept there (the first instance creates it; a
//     copy is kept in the data directory, and offered again when Redis
//     comes back empty, so that a restarted instance agrees with the
//     running ones — keepInstallationKey re-creates it too), else
//   - the key in the data directory, created on first start (0600).
func installationKey(ctx context.Context, sec config.Security, rdb redis.UniversalClient, prefix string) ([]byte, error) {
	if sec.IDKey != "" {
		if len(sec.IDKey) < 16 {
			return nil, errors.New("security.id_key must be at least 16 characters (e.g. the output of `openssl rand -hex 32`)")
		}
		return []byte(sec.IDKey), nil
	}
	fresh := func() (string, error) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("installation key: %w", err)
		}
		return hex.EncodeToString(b), nil
	}
	path := filepath.Join(sec.DataDir, idKeyFile)
	if rdb != nil {
		key := prefix + "id_key"
		candidate, err := fresh()
		if err != nil {
			return nil, err
		}
		if b, err := os.ReadFile(path); sec.DataDir != "" && err == nil && len(strings.TrimSpace(string(b))) >= 16 {
			candidate = strings.TrimSpace(string(b)) // the key this installation had
		}
		// SET NX GET: create it if missing, else read the one another
		// instance created.
		if err := rdb.SetNX(ctx, key, candidate, 0).Err(); err != nil {
			return nil, fmt.Errorf("installation key in redis: %w", err)
		}
		v, err := rdb.Get(ctx, key).Result()
		if err != nil {
			return nil, fmt.Errorf("installation key in redis: %w", err)
		}
		if sec.DataDir != "" && (v != candidate || !fileExists(path)) { // best effort: the copy only helps after a loss
			if os.MkdirAll(sec.DataDir, 0o700) == nil {
				_ = os.WriteFile(path, []byte(v+"\n"), 0o600)
			}
		}
		return []byte(v), nil
	}
	if b, err := os.ReadFile(path); err == nil {
		if k := strings.TrimSpace(string(b)); len(k) >= 16 {
			return []byte(k), nil
		}
		return nil, fmt.Errorf("installation key %s is too short: delete it to generate a new one (existing Telegram and phone conversations will then start afresh)", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("installation key: %w", err)
	}
	k, err := fresh()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(sec.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("installation key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return installationKey(ctx, sec, nil, prefix) // another process just wrote it
	}
	if err != nil {
		return nil, fmt.Errorf("installation key: %w", err)
	}
	if _, err := f.WriteString(k + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("installation key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("installation key: %w", err)
	}
	return []byte(k), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// keepInstallationKey puts this instance's installation key back into
// Redis whenever it is missing there (Redis restarted empty, a FLUSHALL),
// checking every interval until ctx ends, so instances started later derive
// the same conversation ids as the running ones (issue 21.8). A different
// key in Redis (another instance won with a new one) is logged as an error:
// restart that instance's peers so that they agree.
func keepInstallationKey(ctx context.Context, rdb redis.UniversalClient, prefix string, idKey []byte, interval time.Duration, background *sync.WaitGroup, log *slog.Logger) {
	key := prefix + "id_key"
	background.Add(1)
	go func() {
		defer background.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		warned := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			set, err := rdb.SetNX(ctx, key, string(idKey), 0).Result()
			if err != nil {
				continue // Redis down: try again later
			}
			if set {
				log.WarnContext(ctx, "installation key was missing in redis (restarted empty?); put back this instance's")
			}
			v, err := rdb.Get(ctx, key).Result()
			if err == nil && v != string(idKey) && !warned {
				log.ErrorContext(ctx, "installation key in redis differs from this instance's: Telegram, phone and mail conversations may split; restart all instances")
				warned = true
			}
		}
	}()
}
