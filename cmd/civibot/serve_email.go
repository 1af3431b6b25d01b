package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/email"
	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// serveEmail starts the e-mail channel when email.enabled is set: it
// registers the channel as the sender for e-mail conversations (so
// caseworkers' replies go out by mail) and reads the mailbox in the
// background until ctx ends (with Redis, one instance at a time).
func serveEmail(ctx context.Context, cfg config.Config, svc *dialog.Service, store backend, key []byte,
	registry *channels.Registry, rdb redis.UniversalClient, names email.Names, count func(string), background *sync.WaitGroup,
	log *slog.Logger, stdout io.Writer) error {
	if !cfg.Email.Enabled {
		return nil
	}
	ch, err := email.New(cfg.Email, email.Options{
		Service: svc, Threads: store, Idempotency: store, Key: key,
		Redis: rdb, RedisPrefix: cfg.Redis.KeyPrefix(),
		CityName: cfg.City.Name, PrivacyURL: cfg.City.PrivacyURL, Retention: cfg.Conversations.Retention,
		DefaultLanguage: cfg.Dialog.DefaultLanguage, MaxMessageChars: dialog.DefaultMaxMessageChars,
		Names: names, Count: count, Log: log,
	})
	if err != nil {
		return err
	}
	registry.Register(conversation.ChannelEmail, ch)
	fmt.Fprintf(stdout, "E-mail: reading %s on %s (answers from %s)\n", cfg.Email.IMAP.Mailbox, cfg.Email.IMAP.Host, cfg.Email.Address)
	background.Add(1)
	go func() {
		defer background.Done()
		if err := ch.Run(ctx); err != nil {
			log.ErrorContext(ctx, "email channel stopped", "error", err)
		}
	}()
	return nil
}
