package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/civibot/civibot/channels/telegram"
	"github.com/civibot/civibot/conversation"
)

// telegramStartCheck bounds the first getMe at start-up, which only serves
// to stop at once on a refused token.
const telegramStartCheck = 5 * time.Second

// serveTelegram starts the Telegram channel when telegram.enabled is set:
// it registers the channel as the sender for Telegram conversations (so
// caseworkers' replies reach the citizen), mounts the webhook route in
// webhook mode, and runs the channel (webhook registration or long
// polling) in the background until ctx ends.
func serveTelegram(ctx context.Context, c *core, srv mux, key []byte) error {
	cfg, log, background := c.cfg, c.log, c.background
	if !cfg.Telegram.Enabled {
		return nil
	}
	prefix := cfg.Redis.KeyPrefix()
	ch, err := telegram.New(cfg.Telegram, c.svc, telegram.Options{
		IDKey: key, Idempotency: c.store, Redis: c.rdb, RedisPrefix: prefix,
		PublicURL: cfg.Server.PublicURL, CityName: cfg.City.Name, PrivacyURL: cfg.City.PrivacyURL,
		Retention: cfg.Conversations.Retention, DefaultLanguage: cfg.Dialog.DefaultLanguage,
		Names: accountNames{c.accts}, Log: log,
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
	c.registry.Register(conversation.ChannelTelegram, ch)
	if ch.Mode() == telegram.ModeWebhook {
		srv.Handle("POST "+ch.Path(), ch)
		u, _ := cfg.Telegram.ResolveWebhookURL(cfg.Server.PublicURL)
		fmt.Fprintf(c.stdout, "Telegram: webhook at %s (registered with Telegram at start)\n", u)
	} else {
		fmt.Fprintln(c.stdout, "Telegram: long polling (one instance polls at a time)")
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
