package main

import (
	"context"
	"fmt"

	"github.com/civibot/civibot/channels/email"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// serveEmail starts the e-mail channel when email.enabled is set: it
// registers the channel as the sender for e-mail conversations (so
// caseworkers' replies go out by mail) and reads the mailbox in the
// background until ctx ends (with Redis, one instance at a time).
func serveEmail(ctx context.Context, c *core, key []byte) error {
	cfg, log, background := c.cfg, c.log, c.background
	if !cfg.Email.Enabled {
		return nil
	}
	ch, err := email.New(cfg.Email, email.Options{
		Service: c.svc, Threads: c.store, Idempotency: c.store, Key: key,
		Redis: c.rdb, RedisPrefix: cfg.Redis.KeyPrefix(),
		CityName: cfg.City.Name, PrivacyURL: cfg.City.PrivacyURL, Retention: cfg.Conversations.Retention,
		DefaultLanguage: cfg.Dialog.DefaultLanguage, MaxMessageChars: dialog.DefaultMaxMessageChars,
		Names: accountNames{c.accts}, Count: c.ops.metrics.Mail, Log: log,
	})
	if err != nil {
		return err
	}
	c.registry.Register(conversation.ChannelEmail, ch)
	fmt.Fprintf(c.stdout, "E-mail: reading %s on %s (answers from %s)\n", cfg.Email.IMAP.Mailbox, cfg.Email.IMAP.Host, cfg.Email.Address)
	background.Add(1)
	go func() {
		defer background.Done()
		if err := ch.Run(ctx); err != nil {
			log.ErrorContext(ctx, "email channel stopped", "error", err)
		}
	}()
	return nil
}
