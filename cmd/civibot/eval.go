package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/knowledge/importer"
)

// runEval measures the engine on a case file: retrieval (hit@1, hit@3,
// MRR), handoff recall, wrong handoffs, per-kind figures and turn latency.
func runEval(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "eval", "--cases FILE [--kb DIR | import flags PATH...]")
	cfgPath := fs.String("config", c.getenv("CIVIBOT_CONFIG"), "config file (YAML) for the engine's thresholds")
	var casesPaths stringList
	fs.Var(&casesPaths, "cases", "case file (JSONL): civibot cases or Integreat QA questions (required; repeatable)")
	fit := fs.Bool("fit-calibration", false, "fit dialog.calibration to the cases (answerable against hand-off questions) and print it with its figures")
	kbDir := fs.String("kb", "", "knowledge base written by `civibot ingest`")
	asJSON := fs.Bool("json", false, "print one JSON object (n, hit@1, hit@3, mrr, handoff_recall, wrong_handoff, latency_ms, by_kind)")
	verbose := fs.Bool("v", false, "list every case the engine got wrong")
	imp := addImportFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(casesPaths) == 0 {
		return fmt.Errorf("%w: --cases FILE is required", errUsage)
	}
	var cases []evalCase
	for _, path := range casesPaths {
		cs, err := readCases(path)
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
	base := kbSource{dir: *kbDir, paths: fs.Args(), imp: imp.options(), embedder: cfg.Knowledge.Embedder, lexicon: cfg.Knowledge.Lexicon}
	if base.dir != "" && len(base.paths) > 0 {
		return fmt.Errorf("%w: give either --kb or paths to import, not both", errUsage)
	}

	// Integreat cases are asked in their city's own knowledge base.
	engines := map[string]*dialog.Engine{}
	for _, city := range citiesOf(cases) {
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
		e, err := newEngine(cfg, kb)
		if err != nil {
			return err
		}
		engines[city] = e
	}

	results := make([]caseResult, 0, len(cases))
	for _, ec := range cases {
		e := engines[ec.City]
		start := time.Now()
		reply, err := e.Respond(ctx, dialog.Turn{Text: ec.Q, Language: ec.Lang, Context: conversation.Context{Turns: 1}})
		elapsed := time.Since(start)
		if err != nil {
			return fmt.Errorf("case on line %d: %w", ec.line, err)
		}
		r := caseResult{c: ec, decision: reply.Decision.Kind, reason: reply.Handoff, handoff: reply.Handoff != "",
			confidence: reply.Decision.Confidence, evidence: reply.Evidence, latency: elapsed}
		for _, p := range reply.Decision.Candidates {
			r.considered = append(r.considered, p.ID)
		}
		results = append(results, r)
	}
	if *fit {
		var cfg dialog.Config
		for _, e := range engines {
			cfg = e.Config()
			break
		}
		return printCalibrationFit(c.stdout, results, cfg)
	}
	m := summarize(results, true)
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	fmt.Fprintf(c.stdout, "%s against %s\n\n", strings.Join(casesPaths, ", "), base.describe())
	printReport(c.stdout, m)
	if *verbose {
		printFailures(c, results)
	}
	return nil
}

func readCases(path string) ([]evalCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	defer f.Close()
	var cases []evalCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 8<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		var ec evalCase
		if err := json.Unmarshal([]byte(line), &ec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		ec.line = n
		if err := ec.normalize(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		cases = append(cases, ec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("cases: %s holds no cases", path)
	}
	return cases, nil
}

func citiesOf(cases []evalCase) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cases {
		if !seen[c.City] {
			seen[c.City] = true
			out = append(out, c.City)
		}
	}
	sort.Strings(out)
	return out
}

func printFailures(c *cli, results []caseResult) {
	fmt.Fprintln(c.stdout, "\nwrong:")
	for _, r := range results {
		var why string
		switch {
		case r.c.ExpectHandoff && !r.handoff:
			why = "not handed off"
		case !r.c.ExpectHandoff && r.c.Kind != "unanswerable" && r.handoff:
			why = "handed off (" + r.reason + ")"
		case len(r.c.Expect) > 0 && r.rank() != 1:
			why = fmt.Sprintf("expected page at rank %d", r.rank())
		default:
			continue
		}
		top := ""
		if len(r.considered) > 0 {
			top = r.considered[0]
		}
		fmt.Fprintf(c.stdout, "  line %d [%s] %q: %s; decision %s %.2f, top %s, want %s\n",
			r.c.line, r.c.Kind, r.c.Q, why, r.decision, r.confidence, top, strings.Join(r.c.Expect, ","))
	}
}

// importFlags are the flags that say how to read pages (shared by eval).
type importFlags struct {
	format, idField, titleField, urlField, langField, bodyFields, keywordsField, lang, idPrefix *string
	where                                                                                       map[string]string
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
