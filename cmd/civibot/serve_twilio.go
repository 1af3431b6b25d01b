package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/civibot/civibot/channels/twilio"
	"github.com/civibot/civibot/conversation"
)

// serveTwilio mounts the SMS and voice webhooks and registers the SMS
// sender for phone conversations, when twilio.enabled is set.
func serveTwilio(ctx context.Context, c *core, srv mux, key []byte) error {
	cfg, log, registry := c.cfg, c.log, c.registry
	if !cfg.Twilio.Enabled {
		return nil
	}
	hours, err := cfg.Handoff.OfficeHours.Compile()
	if err != nil {
		return err
	}
	ch, err := twilio.New(cfg.Twilio, twilio.Options{
		Service: c.svc, Idempotency: c.store, Hours: hours, Key: key,
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
	fmt.Fprintf(c.stdout, "Twilio: point the number's SMS webhook at %s and its voice webhook at %s (HTTP POST)\n", base+twilio.PathSMS, base+twilio.PathVoice)
	if cfg.Twilio.WhatsApp.Enabled {
		fmt.Fprintf(c.stdout, "WhatsApp: point the WhatsApp sender's incoming-message webhook at %s (HTTP POST)\n", base+twilio.PathSMS)
	}
	return nil
}
