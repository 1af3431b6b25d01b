package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/config"
)

// idKeyFile is the generated installation key in the data directory.
const idKeyFile = "id_key"

// installationKey returns the key that turns chat ids and phone numbers into
// conversation ids (conversation.TelegramID, conversation.PhoneID). Every
// instance must use the same key, or a citizen's conversation splits:
//   - security.id_key from config (or CIVIBOT_SECURITY_ID_KEY_FILE), else
//   - with Redis, the key kept there (the first instance creates it), else
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
	if rdb != nil {
		key := prefix + "id_key"
		candidate, err := fresh()
		if err != nil {
			return nil, err
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
		return []byte(v), nil
	}
	path := filepath.Join(sec.DataDir, idKeyFile)
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
