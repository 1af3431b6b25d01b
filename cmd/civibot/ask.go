package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// runAsk asks the engine one question and shows the answer, its sources,
// the confidence and the decision with its reasons.
func runAsk(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "ask", "[flags] \"question\"")
	cfgPath := fs.String("config", c.getenv("CIVIBOT_CONFIG"), "config file (YAML)")
	kbDir := fs.String("kb", "", "knowledge `dir` written by civibot ingest (default: knowledge.dir from config, else the sample city)")
	lang := fs.String("lang", "", "language hint (de, en); default: detect")
	style := fs.String("style", "full", styleUsage)
	asJSON := fs.Bool("json", false, "print the reply as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := parseStyle(*style)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if question == "" {
		return fmt.Errorf("%w: a question is required, e.g. civibot ask \"Was kostet ein Personalausweis?\"", errUsage)
	}
	cfg, err := config.Load(*cfgPath, c.getenv)
	if err != nil {
		return err
	}
	if *kbDir != "" {
		cfg.Knowledge.Dir = *kbDir
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	src := kbSource{dir: cfg.Knowledge.Dir, embedder: cfg.Knowledge.Embedder, lexicon: cfg.Knowledge.Lexicon, dictionary: cfg.Knowledge.DictionaryPath()}
	kb, err := src.open(ctx, c.stderr)
	if err != nil {
		return err
	}
	defer kb.Close()
	log, err := newLogger(cfg.Log, c.stderr)
	if err != nil {
		return err
	}
	engine, err := engineFor(cfg, nil, log)(kb)
	if err != nil {
		return err
	}
	// Turns: 1 skips the first-message AI disclosure: this is an operator's tool.
	reply, err := engine.Respond(ctx, dialog.Turn{Text: question, Language: *lang, Style: st, Context: conversation.Context{Turns: 1}})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(reply)
	}
	fmt.Fprintln(c.stdout, reply.Text)
	for _, s := range reply.Sources {
		fmt.Fprintf(c.stdout, "\nsource: %s <%s>", s.Title, s.URL)
	}
	if len(reply.Sources) > 0 {
		fmt.Fprintln(c.stdout)
	}
	if len(reply.QuickReplies) > 0 {
		labels := make([]string, len(reply.QuickReplies))
		for i, q := range reply.QuickReplies {
			labels[i] = q.Label
		}
		fmt.Fprintf(c.stdout, "quick replies: %s\n", strings.Join(labels, " | "))
	}
	d := reply.Decision
	fmt.Fprintf(c.stdout, "\ndecision: %s", d.Kind)
	if reply.Handoff != "" {
		fmt.Fprintf(c.stdout, " (handoff: %s)", reply.Handoff)
	}
	fmt.Fprintf(c.stdout, "  confidence: %.2f  language: %s\n", d.Confidence, reply.Language)
	for _, r := range d.Reasons {
		fmt.Fprintf(c.stdout, "  - %s\n", r)
	}
	if len(d.Candidates) > 0 {
		fmt.Fprintln(c.stdout, "candidates:")
		for i, p := range d.Candidates {
			fmt.Fprintf(c.stdout, "  %d. %s  %s\n", i+1, p.ID, p.Title)
		}
	}
	return nil
}

// styleUsage describes the --style flag of ask and eval.
const styleUsage = "answer style: full (web chat, Telegram), short (SMS), spoken (voice)"

// parseStyle reads a --style flag: the answer style of a channel.
func parseStyle(s string) (dialog.Style, error) {
	switch s {
	case "full", "":
		return dialog.StyleFull, nil
	case string(dialog.StyleShort), string(dialog.StyleSpoken):
		return dialog.Style(s), nil
	}
	return "", fmt.Errorf("%w: --style %q: want full, short or spoken", errUsage, s)
}
