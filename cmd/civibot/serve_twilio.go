package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
)

// serveTwilio mounts the SMS and voice webhooks and registers the SMS
// sender for phone conversations, when twilio.enabled is set.
func serveTwilio(ctx context.Context, cfg config.Config, srv mux, svc *dialog.Service, store backend, desk *handoff.Desk,
	registry *channels.Registry, rdb redis.UniversalClient, log *slog.Logger, stdout io.Writer) error {
	if !cfg.Twilio.Enabled {
		return nil
	}
	idem, ok := store.(conversation.Idempotency)
	if !ok {
		return errors.New("twilio: the conversation store keeps no idempotency keys")
	}
	prefix := cfg.Redis.Prefix
	if prefix == "" {
		prefix = conversation.DefaultPrefix
	}
	key, err := installationKey(ctx, cfg.Security, rdb, prefix)
	if err != nil {
		return err
	}
	hours, err := cfg.Handoff.OfficeHours.Compile()
	if err != nil {
		return err
	}
	ch, err := twilio.New(cfg.Twilio, twilio.Options{
		Service: svc, Store: store, Idempotency: idem, Desk: desk, Hours: hours, Key: key,
		PublicURL: cfg.Server.PublicURL, CityName: cfg.City.Name, DefaultLanguage: cfg.Dialog.DefaultLanguage,
		Log: log,
	})
	if err != nil {
		return err
	}
	ch.Mount(srv)
	registry.Register(conversation.ChannelSMS, ch)
	registry.Register(conversation.ChannelVoice, ch)
	base := cfg.Twilio.PublicURL
	if base == "" {
		base = cfg.Server.PublicURL
	}
	base = strings.TrimRight(base, "/")
	log.InfoContext(ctx, "twilio webhooks mounted", "sms", base+twilio.PathSMS, "voice", base+twilio.PathVoice)
	fmt.Fprintf(stdout, "Twilio: point the number's SMS webhook at %s and its voice webhook at %s (HTTP POST)\n", base+twilio.PathSMS, base+twilio.PathVoice)
	return nil
}
