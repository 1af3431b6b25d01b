package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/civibot/civibot/knowledge"
)

// Fetching the city's pages for `civibot ingest --urls`.
const (
	DefaultFetchConcurrency = 4
	DefaultFetchTimeout     = 30 * time.Second
	maxFetchRedirects       = 5
	FetchUserAgent          = "civibot-ingest/1 (+https://github.com/civibot/civibot)"
)

// ReadURLList reads a list of page URLs: one per line; blank lines and
// lines starting with # are skipped; duplicates are dropped.
func ReadURLList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var urls []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		u, err := url.Parse(line)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s:%d: %q is not an http(s) URL", path, n, line)
		}
		u.Fragment = ""
		if s := u.String(); !seen[s] {
			seen[s] = true
			urls = append(urls, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%s lists no URLs", path)
	}
	return urls, nil
}

// fetchOutcome is what became of one URL.
type fetchOutcome struct {
	url  string
	page knowledge.Page
	err  error
	// transient: worth trying again later (network error, timeout, 429,
	// 5xx); the page of the previous ingest is kept. Otherwise (404, 410,
	// not HTML, no text) the page is gone or unusable.
	transient bool
}

// Fetcher fetches pages politely: a few at a time, with timeouts and a
// size limit, as civibot-ingest. robots.txt is not read: the operator lists
// the city's own pages.
type Fetcher struct {
	client      *http.Client
	concurrency int
	maxBytes    int64
	imp         Options
}

func NewFetcher(timeout time.Duration, concurrency int, imp Options) *Fetcher {
	if concurrency <= 0 {
		concurrency = DefaultFetchConcurrency
	}
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	client := &http.Client{
		Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxFetchRedirects {
				return fmt.Errorf("more than %d redirects", maxFetchRedirects)
			}
			return nil
		},
	}
	return &Fetcher{client: client, concurrency: concurrency, maxBytes: MaxImportFile, imp: imp}
}

// fetchAll fetches urls, at most f.concurrency at a time, and returns one
// outcome per URL in the order given.
func (f *Fetcher) fetchAll(ctx context.Context, urls []string) []fetchOutcome {
	out := make([]fetchOutcome, len(urls))
	sem := make(chan struct{}, f.concurrency)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out[i] = fetchOutcome{url: u, err: ctx.Err(), transient: true}
				return
			}
			defer func() { <-sem }()
			out[i] = f.fetch(ctx, u)
		}()
	}
	wg.Wait()
	return out
}

func (f *Fetcher) fetch(ctx context.Context, u string) fetchOutcome {
	o := fetchOutcome{url: u}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		o.err = err
		return o
	}
	req.Header.Set("User-Agent", FetchUserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9")
	resp, err := f.client.Do(req)
	if err != nil {
		o.err, o.transient = errors.New(fetchErrText(err)), true
		return o
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		o.err, o.transient = fmt.Errorf("%s", resp.Status), true
		return o
	case resp.StatusCode != http.StatusOK:
		o.err = fmt.Errorf("%s", resp.Status)
		return o
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/html" && mt != "application/xhtml+xml" {
		o.err = fmt.Errorf("not an HTML page (Content-Type %q)", resp.Header.Get("Content-Type"))
		return o
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		o.err, o.transient = errors.New(fetchErrText(err)), true
		return o
	}
	if int64(len(body)) > f.maxBytes {
		o.err = fmt.Errorf("larger than %d MiB", f.maxBytes>>20)
		return o
	}
	page, err := PageFromHTML(body, resp.Request.URL.String(), f.imp)
	if err != nil {
		o.err = err
		return o
	}
	// The id follows the URL listed, not where a redirect led, so that it
	// stays the same from one ingest to the next.
	if id, err := URLPageID(u, f.imp); err == nil {
		page.ID = id
	}
	o.page = page
	return o
}

// fetchErrText shortens a client error (they repeat the URL).
func fetchErrText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return "timed out"
	}
	return err.Error()
}

// FetchSummary is what `ingest --urls` reports about fetching.
type FetchSummary struct {
	Fetched, Kept, Gone, Failed int
}

// FetchPages fetches urls and returns the pages to ingest. A page that
// could not be fetched for a transient reason is taken from the knowledge
// base in kbDir (the previous ingest) if it is there, so a flaky night does
// not remove it; a page that is gone (404, 410) is left out. Problems go to
// warn. It fails when no URL could be fetched at all.
func FetchPages(ctx context.Context, urls []string, f *Fetcher, kbDir string, opts knowledge.Options, warn io.Writer) ([]knowledge.Page, FetchSummary, error) {
	var sum FetchSummary
	outcomes := f.fetchAll(ctx, urls)
	var pages []knowledge.Page
	var retry []fetchOutcome
	for _, o := range outcomes {
		switch {
		case o.err == nil:
			pages = append(pages, o.page)
			sum.Fetched++
		case o.transient:
			retry = append(retry, o)
		default:
			fmt.Fprintf(warn, "%s: %v; left out\n", o.url, o.err)
			sum.Gone++
		}
	}
	pages = uniquePages(pages, warn)
	if b, err := newBoilerplate(f.imp.Boilerplate); err == nil && b.defaults {
		dropRepeated(pages) // (pages kept from the last ingest were treated then)
	}
	if sum.Fetched == 0 {
		return nil, sum, fmt.Errorf("none of the %d URLs could be fetched (first: %s: %v)", len(urls), outcomes[0].url, outcomes[0].err)
	}
	if len(retry) > 0 {
		var prev *knowledge.KB
		if _, err := knowledge.CurrentGeneration(kbDir); err == nil {
			if kb, err := knowledge.Open(ctx, kbDir, opts); err == nil {
				prev = kb
				defer kb.Close()
			} else {
				fmt.Fprintf(warn, "cannot read the previous knowledge base to keep pages that failed: %v\n", err)
			}
		}
		for _, o := range retry {
			id, _ := URLPageID(o.url, f.imp)
			if prev != nil {
				if p, ok := prev.Page(id); ok {
					pages = append(pages, *p)
					sum.Kept++
					fmt.Fprintf(warn, "%s: %v; kept the page from the previous ingest\n", o.url, o.err)
					continue
				}
			}
			sum.Failed++
			fmt.Fprintf(warn, "%s: %v; not in the previous ingest either, left out\n", o.url, o.err)
		}
	}
	return pages, sum, nil
}

// uniquePages drops pages whose id came before (two URLs with the same
// path).
func uniquePages(pages []knowledge.Page, warn io.Writer) []knowledge.Page {
	seen := map[string]string{}
	out := pages[:0]
	for _, p := range pages {
		if first, dup := seen[p.ID]; dup {
			fmt.Fprintf(warn, "%s: same page id %q as %s; left out\n", p.URL, p.ID, first)
			continue
		}
		seen[p.ID] = p.URL
		out = append(out, p)
	}
	return out
}
