package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/evaluation"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
)

// runEval measures the engine on case files: retrieval (hit@1, hit@3,
// MRR), decisions, handoff recall, wrong handoffs, the confidence, the
// text shown (on annotated cases), per-kind figures and turn latency.
func runEval(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "eval", "--cases FILE [--kb DIR | import flags PATH...]")
	cfgPath := fs.String("config", c.getenv("CIVIBOT_CONFIG"), "config file (YAML) for the engine's thresholds")
	var casesPaths stringList
	fs.Var(&casesPaths, "cases", "case file (JSONL): civibot cases or Integreat QA questions (required; repeatable)")
	fit := fs.Bool("fit-calibration", false, "fit dialog.calibration to the cases (answerable against hand-off questions) and print it with its figures")
	kbDir := fs.String("kb", "", "knowledge `dir` written by civibot ingest")
	asJSON := fs.Bool("json", false, "print one JSON object: the figures (n, hit@1, hit@3, mrr, handoff_recall, wrong_handoff, confidence, answers, latency_ms, by_kind) and every case (question, decision, ranked page ids, the text shown)")
	verbose := fs.Bool("v", false, "list every case the engine got wrong")
	style := fs.String("style", "full", styleUsage+": the answers are measured as that channel shows them")
	var aliasPaths stringList
	fs.Var(&aliasPaths, "aliases", "accepted aliases to search with (JSONL: {\"page_id\", \"text\", \"language\"}, or civibot cases whose question becomes an alias of the first expected page — a caseworker's history); repeatable")
	imp := addImportFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(casesPaths) == 0 {
		return fmt.Errorf("%w: --cases FILE is required", errUsage)
	}
	st, err := parseStyle(*style)
	if err != nil {
		return err
	}
	var cases []evaluation.Case
	for _, path := range casesPaths {
		cs, err := evaluation.ReadCases(path)
		if err != nil {
			return err
		}
		cases = append(cases, cs...)
	}
	cfg, err := config.Load(*cfgPath, c.getenv)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log, err := newLogger(cfg.Log, c.stderr)
	if err != nil {
		return err
	}
	base := kbSource{dir: *kbDir, paths: fs.Args(), imp: imp.options(), embedder: cfg.Knowledge.Embedder, lexicon: cfg.Knowledge.Lexicon, dictionary: cfg.Knowledge.DictionaryPath()}
	if base.dir != "" && len(base.paths) > 0 {
		return fmt.Errorf("%w: give either --kb or paths to import, not both", errUsage)
	}

	var aliases []knowledge.Alias
	for _, path := range aliasPaths {
		as, err := evaluation.ReadAliases(path)
		if err != nil {
			return err
		}
		aliases = append(aliases, as...)
	}

	// Integreat cases are asked in their city's own knowledge base.
	engines := map[string]evalEngine{}
	for _, city := range evaluation.Cities(cases) {
		src := base
		if city != "" {
			if len(src.paths) == 0 {
				return fmt.Errorf("%w: cases name cities (%s): give the pages file to import, e.g. ../shared/data/integreat-qa/pages_de.jsonl", errUsage, city)
			}
			src.imp.Where = map[string]string{"city": city}
			for k, v := range base.imp.Where {
				src.imp.Where[k] = v
			}
		}
		kb, err := src.open(ctx, c.stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", src.describe(), err)
		}
		defer kb.Close()
		if len(aliases) > 0 {
			if unknown := kb.SetAliases(aliases); len(unknown) > 0 && city == "" {
				fmt.Fprintf(c.stderr, "%d aliases name pages this knowledge base does not have; not used\n", len(unknown))
			}
		}
		e, err := engineFor(cfg, nil, log)(kb)
		if err != nil {
			return err
		}
		engines[city] = evalEngine{e, kb}
	}
	results, err := evaluation.Run(ctx, cases, func(city string) evaluation.Engine {
		if e, ok := engines[city]; ok {
			return e
		}
		return nil
	}, st)
	if err != nil {
		return err
	}
	dcfg := engines[evaluation.Cities(cases)[0]].Config()
	if *fit {
		return evaluation.PrintCalibrationFit(c.stdout, results, dcfg)
	}
	m := evaluation.Summarize(results, evaluation.Options{AnswerThreshold: dcfg.AnswerThreshold}, true)
	if *asJSON {
		return evaluation.WriteJSON(c.stdout, m, results)
	}
	fmt.Fprintf(c.stdout, "%s against %s\n\n", strings.Join(casesPaths, ", "), base.describe())
	evaluation.PrintReport(c.stdout, m)
	if *verbose {
		evaluation.PrintFailures(c.stdout, results)
	}
	return nil
}

// evalEngine is an engine with the knowledge base it quotes.
type evalEngine struct {
	*dialog.Engine
	kb *knowledge.KB
}

func (e evalEngine) Page(id string) (*knowledge.Page, bool) { return e.kb.Page(id) }

// Canonical is the page searched for page id (see knowledge.KB.Canonical).
func (e evalEngine) Canonical(id string) string { return e.kb.Canonical(id) }

// importFlags are the flags that say how to read pages (shared by eval).
type importFlags struct {
	format, idField, titleField, urlField, langField, bodyFields, keywordsField, lang, idPrefix *string
	where                                                                                       map[string]string
	boilerplate                                                                                 []string
}

func addImportFlags(fs interface {
	String(name, value, usage string) *string
	Func(name, usage string, fn func(string) error)
}) *importFlags {
	f := &importFlags{where: map[string]string{}}
	f.format = fs.String("format", "", "input format: jsonl, markdown or html (default: from file extensions)")
	f.idField = fs.String("id-field", "", "JSONL field with the page id (default id)")
	f.titleField = fs.String("title-field", "", "JSONL field with the title (default title)")
	f.urlField = fs.String("url-field", "", "JSONL field with the URL (default url)")
	f.langField = fs.String("lang-field", "", "JSONL field with the language (default language)")
	f.bodyFields = fs.String("body-fields", "", "JSONL fields with the page text, comma-separated (default body)")
	f.keywordsField = fs.String("keywords-field", "", "JSONL field with keywords/synonyms")
	f.lang = fs.String("lang", "", "language of pages that do not say (default de)")
	f.idPrefix = fs.String("id-prefix", "", "prefix for every page id")
	fs.Func("boilerplate", "a whole line (case-insensitive regular expression) the city's CMS puts on every page, dropped at import besides the defaults (\"Letzte Aktualisierung: …\", \"Seite drucken\", keyword blocks); \"none\" turns the defaults off (repeatable)", func(s string) error {
		f.boilerplate = append(f.boilerplate, s)
		return nil
	})
	fs.Func("where", "keep only records whose field has this value: field=value (repeatable)", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return fmt.Errorf("want field=value, got %q", s)
		}
		f.where[k] = v
		return nil
	})
	return f
}

func (f *importFlags) options() importer.Options {
	o := importer.Options{
		Format: *f.format, IDField: *f.idField, TitleField: *f.titleField, URLField: *f.urlField,
		LanguageField: *f.langField, KeywordsField: *f.keywordsField, Language: *f.lang, IDPrefix: *f.idPrefix,
		Boilerplate: f.boilerplate,
	}
	if *f.bodyFields != "" {
		for _, b := range strings.Split(*f.bodyFields, ",") {
			if b = strings.TrimSpace(b); b != "" {
				o.BodyFields = append(o.BodyFields, b)
			}
		}
	}
	if len(f.where) > 0 {
		o.Where = f.where
	}
	return o
}
