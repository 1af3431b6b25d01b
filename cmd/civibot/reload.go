package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge"
)

// openLiveKB opens the configured knowledge base and the engine over it,
// reloaded after an ingest into knowledge.dir (dialog.Live). retrieval
// times every search; reloaded is told about every reload attempt (both
// may be nil). Import warnings go to warn. With
// knowledge.sample_until_ingest, the sample city answers while
// knowledge.dir holds no knowledge base yet.
func openLiveKB(ctx context.Context, cfg config.Config, src kbSource, retrieval func(time.Duration), reloaded func(error), log *slog.Logger, warn io.Writer) (*dialog.Live, error) {
	opts := dialog.LiveOptions{
		Dir: src.dir, Open: src.open, Engine: engineFor(cfg, retrieval, log), Reloaded: reloaded, Log: log,
	}
	if cfg.Knowledge.SampleUntilIngest && src.dir != "" {
		sample := src
		sample.dir = ""
		opts.Fallback = sample.open
	}
	return dialog.OpenLive(ctx, opts, warn)
}

// engineFor builds dialog engines from config (serve, ask and eval), with
// the LLM phraser when one is configured. retrieval (may be nil) times
// every search; the engine's warnings (a failed LLM call) go to log.
func engineFor(cfg config.Config, retrieval func(time.Duration), log *slog.Logger) func(*knowledge.KB) (*dialog.Engine, error) {
	return func(kb *knowledge.KB) (*dialog.Engine, error) {
		var phraser dialog.Phraser
		if cfg.LLM.Enabled() {
			p, err := dialog.NewOpenAIPhraser(cfg.LLM, nil)
			if err != nil {
				return nil, err
			}
			phraser = p
		}
		return dialog.NewObservedEngine(cfg.Dialog, kb, phraser, log, retrieval)
	}
}
