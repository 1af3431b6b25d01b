package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/telegram"
	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// telegramStartCheck bounds the first getMe at start-up, which only serves
// to stop at once on a refused token.
const telegramStartCheck = 5 * time.Second

// serveTelegram starts the Telegram channel when telegram.enabled is set:
// it registers the channel as the sender for Telegram conversations (so
// caseworkers' replies reach the citizen), mounts the webhook route in
// webhook mode, and runs the channel (webhook registration or long
// polling) in the background until ctx ends.
func serveTelegram(ctx context.Context, cfg config.Config, srv mux, svc *dialog.Service, store backend, key []byte,
	registry *channels.Registry, rdb redis.UniversalClient, names telegram.Names, background *sync.WaitGroup,
	log *slog.Logger, stdout io.Writer) error {
	if !cfg.Telegram.Enabled {
		return nil
	}
	prefix := cfg.Redis.KeyPrefix()
	ch, err := telegram.New(cfg.Telegram, svc, telegram.Options{
		IDKey: key, Idempotency: store, Redis: rdb, RedisPrefix: prefix,
		PublicURL: cfg.Server.PublicURL, CityName: cfg.City.Name, PrivacyURL: cfg.City.PrivacyURL,
		Retention: cfg.Conversations.Retention, DefaultLanguage: cfg.Dialog.DefaultLanguage,
		Names: names, Log: log,
	})
	if err != nil {
		return err
	}
	// A refused token stops civibot here; a Telegram that cannot be
	// reached yet does not (Run keeps trying, the web chat serves).
	cctx, cancel := context.WithTimeout(ctx, telegramStartCheck)
	err = ch.Connect(cctx)
	cancel()
	if errors.Is(err, telegram.ErrRejected) {
		return err
	}
	if err != nil {
		log.WarnContext(ctx, "telegram: bot api not reachable yet, retrying in the background", "error", err)
	}
	registry.Register(conversation.ChannelTelegram, ch)
	if ch.Mode() == telegram.ModeWebhook {
		srv.Handle("POST "+ch.Path(), ch)
		u, _ := cfg.Telegram.ResolveWebhookURL(cfg.Server.PublicURL)
		fmt.Fprintf(stdout, "Telegram: webhook at %s (registered with Telegram at start)\n", u)
	} else {
		fmt.Fprintln(stdout, "Telegram: long polling (one instance polls at a time)")
	}
	background.Add(1)
	go func() {
		defer background.Done()
		if err := ch.Run(ctx); err != nil {
			log.ErrorContext(ctx, "telegram channel stopped", "error", err)
		}
	}()
	return nil
}
