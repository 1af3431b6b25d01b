package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// serveTwilio mounts the SMS and voice webhooks and registers the SMS
// sender for phone conversations, when twilio.enabled is set.
func serveTwilio(ctx context.Context, cfg config.Config, srv mux, svc *dialog.Service, idem conversation.Idempotency, key []byte,
	registry *channels.Registry, log *slog.Logger, stdout io.Writer) error {
	if !cfg.Twilio.Enabled {
		return nil
	}
	hours, err := cfg.Handoff.OfficeHours.Compile()
	if err != nil {
		return err
	}
	ch, err := twilio.New(cfg.Twilio, twilio.Options{
		Service: svc, Idempotency: idem, Hours: hours, Key: key,
		PublicURL: cfg.Server.PublicURL, CityName: cfg.City.Name, PrivacyURL: cfg.City.PrivacyURL, DefaultLanguage: cfg.Dialog.DefaultLanguage,
		Log: log,
	})
	if err != nil {
		return err
	}
	ch.Mount(srv)
	registry.Register(conversation.ChannelSMS, ch)
	registry.Register(conversation.ChannelVoice, ch)
	if cfg.Twilio.WhatsApp.Enabled {
		registry.Register(conversation.ChannelWhatsApp, ch)
	}
	base := cfg.Twilio.PublicURL
	if base == "" {
		base = cfg.Server.PublicURL
	}
	base = strings.TrimRight(base, "/")
	log.InfoContext(ctx, "twilio webhooks mounted", "sms", base+twilio.PathSMS, "voice", base+twilio.PathVoice)
	fmt.Fprintf(stdout, "Twilio: point the number's SMS webhook at %s and its voice webhook at %s (HTTP POST)\n", base+twilio.PathSMS, base+twilio.PathVoice)
	if cfg.Twilio.WhatsApp.Enabled {
		fmt.Fprintf(stdout, "WhatsApp: point the WhatsApp sender's incoming-message webhook at %s (HTTP POST)\n", base+twilio.PathSMS)
	}
	return nil
}
