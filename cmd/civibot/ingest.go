package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/civibot/civibot/config"
	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
)

// runIngest imports a city's pages and writes them to a knowledge base
// directory; run again, it embeds only what changed.
func runIngest(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "ingest", "--kb DIR [flags] [--urls FILE] [PATH...]")
	cfgPath := fs.String("config", c.getenv("CIVIBOT_CONFIG"), "config file (YAML) of the serving civibot: its knowledge.dir, knowledge.embedder, knowledge.lexicon and knowledge.dictionary are the defaults of --kb, --embedder…, --lexicon and --dictionary; also CIVIBOT_CONFIG")
	kbDir := fs.String("kb", "", "knowledge base directory to write (default: knowledge.dir from config; required)")
	urlList := fs.String("urls", "", "a file listing the city's page URLs, one per line (# comments), to fetch and import as HTML")
	fetchConc := fs.Int("fetch-concurrency", importer.DefaultFetchConcurrency, "--urls: pages fetched at the same time")
	fetchTimeout := fs.Duration("fetch-timeout", importer.DefaultFetchTimeout, "--urls: time for one page")
	imp := addImportFlags(fs)
	embKind := fs.String("embedder", "", "embedder: local, ollama or openai (default: knowledge.embedder.kind from config, local)")
	embURL := fs.String("embedder-url", "", "embedder base URL, e.g. http://localhost:11434 or https://api.openai.com/v1 (default: knowledge.embedder.url from config)")
	embModel := fs.String("embedder-model", "", "embedding model, e.g. nomic-embed-text (default: knowledge.embedder.model from config; API key: CIVIBOT_EMBEDDER_API_KEY(_FILE), else knowledge.embedder.api_key)")
	dictionary := fs.String("dictionary", "", "the German–English dictionary to build the translation table from (default: knowledge.dictionary from config, /usr/share/trans/de-en; \"off\": none)")
	var lexicons []string
	fs.Func("lexicon", "extra lexicon file with the city's own names (repeatable; format: see knowledge/lexicon/de.txt)", func(s string) error {
		lexicons = append(lexicons, s)
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// The serving configuration says which embedder the servers open the
	// knowledge base with; ingest must use the same. Only the knowledge
	// part is used (and so checked): a nightly job needs no channel secrets.
	cfg, err := config.Load(*cfgPath, c.getenv)
	if err != nil {
		return err
	}
	if *kbDir == "" {
		*kbDir = cfg.Knowledge.Dir
	}
	if *kbDir == "" {
		return fmt.Errorf("%w: --kb DIR is required (or knowledge.dir in the config)", errUsage)
	}
	lexicons = append(slices.Clone(cfg.Knowledge.Lexicon), lexicons...)
	imp.boilerplate = append(slices.Clone(cfg.Knowledge.Boilerplate), imp.boilerplate...)
	if *dictionary != "" {
		cfg.Knowledge.Dictionary = *dictionary
	}
	embCfg := cfg.Knowledge.Embedder
	for _, f := range []struct{ flag, field *string }{{embKind, &embCfg.Kind}, {embURL, &embCfg.URL}, {embModel, &embCfg.Model}} {
		if *f.flag != "" {
			*f.field = *f.flag
		}
	}
	paths := fs.Args()
	if len(paths) == 0 && *urlList == "" {
		return fmt.Errorf("%w: no PATH to import and no --urls", errUsage)
	}
	var urls []string
	if *urlList != "" {
		var err error
		if urls, err = importer.ReadURLList(*urlList); err != nil {
			return fmt.Errorf("%w: --urls: %v", errUsage, err)
		}
	}
	key, err := embedderKey(c)
	if err != nil {
		return err
	}
	if key != "" {
		embCfg.APIKey = key
	}
	emb, err := knowledge.NewEmbedder(embCfg, &http.Client{Timeout: knowledge.DefaultEmbedderTimeout})
	if err != nil {
		return err
	}
	var pages []knowledge.Page
	if len(paths) > 0 {
		var problems []importer.Problem
		pages, problems, err = importer.Import(ctx, paths, imp.options())
		for _, p := range problems {
			fmt.Fprintln(c.stderr, p)
		}
		if err != nil {
			return err
		}
	}
	if len(urls) > 0 {
		web, fsum, err := importer.FetchPages(ctx, urls, importer.NewFetcher(*fetchTimeout, *fetchConc, imp.options()), *kbDir,
			knowledge.Options{Embedder: emb, LexiconFiles: lexicons}, c.stderr)
		if err != nil {
			return err
		}
		pages = append(pages, web...)
		fmt.Fprintf(c.stdout, "%d URLs: %d fetched, %d kept from the previous ingest (fetch failed), %d left out (gone or not usable), %d failed\n",
			len(urls), fsum.Fetched, fsum.Kept, fsum.Gone, fsum.Failed)
	}
	if len(pages) == 0 {
		return fmt.Errorf("no pages imported from %s", strings.Join(append(paths, *urlList), ", "))
	}
	sum, err := knowledge.Ingest(ctx, *kbDir, pages, knowledge.Options{Embedder: emb, LexiconFiles: lexicons, Progress: c.stderr,
		Dictionary: cfg.Knowledge.DictionaryPath()})
	if err != nil {
		return err
	}
	embedded := fmt.Sprintf("%d chunks", sum.Chunks)
	if sum.Embedded != sum.Chunks {
		embedded = fmt.Sprintf("%d of %d chunks", sum.Embedded, sum.Chunks)
	}
	fmt.Fprintf(c.stdout, "%d pages: %d added, %d updated, %d unchanged, %d removed; %s embedded in %s\n",
		len(pages), sum.Added, sum.Updated, sum.Unchanged, sum.Removed, embedded, roundDuration(sum.Duration))
	if sum.Copies > 0 {
		fmt.Fprintf(c.stdout, "%d pages are near-duplicates of another page (the same service published twice, reworded, or with another office's address): each is answered through the page it copies\n", sum.Copies)
	}
	if sum.Translations > 0 {
		fmt.Fprintf(c.stdout, "%d translations of words and phrases kept from the dictionary\n", sum.Translations)
	}
	return nil
}

// embedderKey returns the embedder API key from CIVIBOT_EMBEDDER_API_KEY or
// the file named by CIVIBOT_EMBEDDER_API_KEY_FILE.
func embedderKey(c *cli) (string, error) {
	if k := c.getenv("CIVIBOT_EMBEDDER_API_KEY"); k != "" {
		return k, nil
	}
	path := c.getenv("CIVIBOT_EMBEDDER_API_KEY_FILE")
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("CIVIBOT_EMBEDDER_API_KEY_FILE: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// roundDuration shows a duration to a tenth of a second (milliseconds below
// one second).
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
