package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civibot/civibot/knowledge"
)

// Import limits. A JSONL line or a Markdown/HTML file above them is reported
// as a Problem and skipped; the rest of the import goes on.
const (
	// MaxImportLine is the longest JSONL line Import reads (4 MiB).
	MaxImportLine = 4 << 20
	// MaxImportFile is the largest Markdown or HTML file Import reads (8 MiB).
	MaxImportFile = 8 << 20
)

// Formats accepted in Options.Format.
const (
	FormatJSONL    = "jsonl"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// Values of Options.RepairGlued.
const (
	RepairGluedAuto = "auto"
	RepairGluedOn   = "on"
	RepairGluedOff  = "off"
)

// Options says how to read a city's pages. Import (importers: JSONL,
// Markdown folders, HTML folders) turns paths into Pages with them.
type Options struct {
	// Format is "jsonl", "markdown" or "html"; empty picks by file extension
	// (.jsonl, .md, .html/.htm; a folder by the files it holds).
	Format string
	// JSONL field mapping.
	IDField       string   // default "id"
	TitleField    string   // default "title"
	URLField      string   // default "url"
	LanguageField string   // default "language"; missing → Language
	BodyFields    []string // default ["body"]; each becomes one or more sections
	KeywordsField string   // optional: a string list or comma-separated string
	// Where keeps only records whose field equals the value (all must match),
	// e.g. {"city": "muenchen"}.
	Where map[string]string
	// Language is the language of pages that do not say (default "de").
	Language string
	// IDPrefix is put before every page id (e.g. "berlin-"), optional.
	IDPrefix string
	// RepairGlued says whether to split words a scraper glued together in
	// JSONL text fields ("UnterlagenAntrag", "sein.Die", "oderSie"):
	// "auto" (default) repairs a field only when its file shows the pattern
	// often (≥ 4 per 1,000 words), "on" always, "off" never.
	RepairGlued string
	// Boilerplate adds whole-line patterns (case-insensitive Go regular
	// expressions) for text the city's CMS puts on every page; lines and
	// section headings that match are dropped at import, besides the
	// defaults ("Letzte Aktualisierung: …", "Seite drucken", "Zur
	// Startseite", keyword blocks, which become the page's keywords). The
	// pattern "none" turns the defaults off.
	Boilerplate []string
}

// Problem is one input record or file that could not be imported. Import
// reports it and goes on with the rest.
type Problem struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"` // 1-based, JSONL only
	Err  string `json:"error"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Err)
	}
	return fmt.Sprintf("%s: %s", p.Path, p.Err)
}

// Import reads pages from files and folders. Bad records are reported as Problems
// (with line numbers for JSONL) and the rest is imported; err is only for things that
// stop the whole import (unreadable path, bad options such as a JSONL id field that no record has).
//
// A folder is read recursively; files and folders whose names start with "."
// are skipped, and so are files of other formats. Page ids must be unique
// across everything imported at once: a later duplicate is a Problem and the
// first page is kept.
func Import(ctx context.Context, paths []string, opts Options) (pages []knowledge.Page, problems []Problem, err error) {
	im, err := newImporter(opts)
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, errors.New("importer: import: no paths given")
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("importer: import: %w", err)
		}
		if info.IsDir() {
			fsys := os.DirFS(p)
			err = im.walk(ctx, fsys, ".", func(rel string) string { return filepath.Join(p, filepath.FromSlash(rel)) })
		} else {
			dir, base := filepath.Split(p)
			if dir == "" {
				dir = "."
			}
			err = im.file(ctx, os.DirFS(dir), base, p)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	im.finish()
	return im.pages, im.problems, nil
}

// finish treats what only the pages together show: text the site repeats
// on many pages.
func (im *importer) finish() {
	if im.boiler.defaults {
		dropRepeated(im.pages)
	}
}

// ImportFS is the same over an fs.FS (used for the bundled sample city, embedded with go:embed).
// root is a folder or a single file in fsys ("." for all of it).
func ImportFS(ctx context.Context, fsys fs.FS, root string, opts Options) ([]knowledge.Page, []Problem, error) {
	im, err := newImporter(opts)
	if err != nil {
		return nil, nil, err
	}
	if root == "" {
		root = "."
	}
	info, err := fs.Stat(fsys, root)
	if err != nil {
		return nil, nil, fmt.Errorf("importer: import: %w", err)
	}
	if info.IsDir() {
		err = im.walk(ctx, fsys, root, func(rel string) string { return path.Join(root, rel) })
	} else {
		err = im.file(ctx, fsys, root, root)
	}
	if err != nil {
		return nil, nil, err
	}
	im.finish()
	return im.pages, im.problems, nil
}

// importer holds the state of one Import call.
type importer struct {
	opts     Options
	boiler   *boilerplate
	pages    []knowledge.Page
	problems []Problem
	seen     map[string]string // page id → where it was first seen
	// urlSet etc. record which JSONL options were given explicitly, so that
	// a field no record has is an error only when the operator named it.
	urlSet, langSet bool
}

func newImporter(opts Options) (*importer, error) {
	im := &importer{seen: map[string]string{}}
	im.urlSet = opts.URLField != ""
	im.langSet = opts.LanguageField != ""
	switch strings.ToLower(opts.Format) {
	case "":
	case "jsonl", "ndjson":
		opts.Format = FormatJSONL
	case "markdown", "md":
		opts.Format = FormatMarkdown
	case "html", "htm":
		opts.Format = FormatHTML
	default:
		return nil, fmt.Errorf("importer: import: unknown format %q (use jsonl, markdown or html)", opts.Format)
	}
	switch strings.ToLower(opts.RepairGlued) {
	case "", RepairGluedAuto:
		opts.RepairGlued = RepairGluedAuto
	case RepairGluedOn, "true", "yes":
		opts.RepairGlued = RepairGluedOn
	case RepairGluedOff, "false", "no":
		opts.RepairGlued = RepairGluedOff
	default:
		return nil, fmt.Errorf("importer: import: repair_glued is %q; use auto, on or off", opts.RepairGlued)
	}
	if opts.IDField == "" {
		opts.IDField = "id"
	}
	if opts.TitleField == "" {
		opts.TitleField = "title"
	}
	if opts.URLField == "" {
		opts.URLField = "url"
	}
	if opts.LanguageField == "" {
		opts.LanguageField = "language"
	}
	var body []string
	for _, f := range opts.BodyFields {
		for _, part := range strings.Split(f, ",") {
			if part = strings.TrimSpace(part); part != "" {
				body = append(body, part)
			}
		}
	}
	if len(body) == 0 {
		body = []string{"body"}
	}
	opts.BodyFields = body
	opts.Language = normLanguage(opts.Language)
	if opts.Language == "" {
		opts.Language = "de"
	}
	b, err := newBoilerplate(opts.Boilerplate)
	if err != nil {
		return nil, err
	}
	im.opts, im.boiler = opts, b
	return im, nil
}

// formatOf picks the format of a file by its extension.
func formatOf(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".jsonl", ".ndjson":
		return FormatJSONL
	case ".md", ".markdown":
		return FormatMarkdown
	case ".html", ".htm":
		return FormatHTML
	}
	return ""
}

// walk imports every file of a known format under root in fsys, in lexical
// order. display turns a path relative to root into the path shown in
// Problems.
func (im *importer) walk(ctx context.Context, fsys fs.FS, root string, display func(rel string) string) error {
	found := 0
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			rel, _ := relPath(root, p)
			im.problem(display(rel), 0, "cannot read: "+errText(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		name := d.Name()
		if p != root && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		f := formatOf(name)
		if f == "" || (im.opts.Format != "" && f != im.opts.Format) {
			return nil
		}
		found++
		rel, _ := relPath(root, p)
		return im.fileRel(ctx, fsys, p, rel, display(rel), f)
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("importer: import: %w", err)
		}
		var ie *importError
		if errors.As(err, &ie) {
			return err
		}
		return fmt.Errorf("importer: import: %w", err)
	}
	if found == 0 {
		what := ".jsonl, .md or .html"
		switch im.opts.Format {
		case FormatJSONL:
			what = ".jsonl"
		case FormatMarkdown:
			what = ".md"
		case FormatHTML:
			what = ".html"
		}
		return fmt.Errorf("importer: import: no %s files under %s", what, display("."))
	}
	return nil
}

// file imports one file named explicitly (not found by walking a folder).
func (im *importer) file(ctx context.Context, fsys fs.FS, name, shown string) error {
	f := im.opts.Format
	if f == "" {
		f = formatOf(name)
	}
	if f == "" {
		return fmt.Errorf("importer: import: cannot tell the format of %s from its name; set the format (jsonl, markdown or html)", shown)
	}
	return im.fileRel(ctx, fsys, name, path.Base(name), shown, f)
}

// fileRel imports the file at p in fsys; rel is its path relative to the
// import root (used to derive ids), shown the path for Problems.
func (im *importer) fileRel(ctx context.Context, fsys fs.FS, p, rel, shown, format string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("importer: import: %w", err)
	}
	switch format {
	case FormatJSONL:
		f, err := fsys.Open(p)
		if err != nil {
			im.problem(shown, 0, "cannot read: "+errText(err))
			return nil
		}
		defer f.Close()
		return im.jsonl(ctx, f, shown)
	case FormatMarkdown, FormatHTML:
		data, err := readLimited(fsys, p, MaxImportFile)
		if err != nil {
			im.problem(shown, 0, err.Error())
			return nil
		}
		if msg := notText(data); msg != "" {
			im.problem(shown, 0, msg)
			return nil
		}
		var page knowledge.Page
		var perr error
		if format == FormatMarkdown {
			page, perr = im.markdownPage(data, rel)
		} else {
			page, perr = im.htmlPage(data, rel)
		}
		if perr != nil {
			im.problem(shown, 0, perr.Error())
			return nil
		}
		im.add(page, shown, 0)
	}
	return nil
}

// importError stops the whole import (bad options found while reading).
type importError struct{ msg string }

func (e *importError) Error() string { return e.msg }

func (im *importer) problem(p string, line int, msg string) {
	im.problems = append(im.problems, Problem{Path: p, Line: line, Err: msg})
}

// add appends a page unless its id was seen before.
func (im *importer) add(p knowledge.Page, shown string, line int) {
	p.ID = im.opts.IDPrefix + p.ID
	where := shown
	if line > 0 {
		where = fmt.Sprintf("%s:%d", shown, line)
	}
	if first, dup := im.seen[p.ID]; dup {
		im.problem(shown, line, fmt.Sprintf("duplicate id %q (first seen at %s); kept the first", p.ID, first))
		return
	}
	im.boiler.strip(&p)
	if len(p.Sections) == 0 {
		im.problem(shown, line, fmt.Sprintf("page %q has only boilerplate text (see --boilerplate)", p.ID))
		return
	}
	im.seen[p.ID] = where
	im.pages = append(im.pages, p)
}

// readLimited reads a whole file, refusing files above limit bytes.
func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %s", errText(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %s", errText(err))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("file is larger than %d MiB; split it or shorten it", limit>>20)
	}
	return data, nil
}

// notText explains why data is not a UTF-8 text file, or returns "".
func notText(data []byte) string {
	if bytes.IndexByte(data, 0) >= 0 {
		return "not a text file (contains NUL bytes)"
	}
	if !utf8.Valid(data) {
		return "not valid UTF-8 text; convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)"
	}
	return ""
}

// errText is an error's text without the "open x:" noise of *fs.PathError.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// relPath returns p relative to root for paths from fs.WalkDir.
func relPath(root, p string) (string, bool) {
	if root == "." {
		return p, true
	}
	if p == root {
		return path.Base(p), true
	}
	if strings.HasPrefix(p, root+"/") {
		return p[len(root)+1:], true
	}
	return p, false
}

// idFromPath derives a page id from a file path relative to the import
// root: the path without extension, lowercased, with "/" and spaces as "-"
// ("de/Personalausweis.md" → "de-personalausweis").
func idFromPath(rel string) string {
	rel = strings.TrimSuffix(rel, path.Ext(rel))
	rel = strings.ToLower(rel)
	var b strings.Builder
	dash := false
	for _, r := range rel {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// languageFromPath returns a two-letter folder name in rel ("de/x.md" →
// "de"), or "".
func languageFromPath(rel string) string {
	parts := strings.Split(path.Dir(rel), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if isLangCode(parts[i]) {
			return parts[i]
		}
	}
	return ""
}

func isLangCode(s string) bool {
	return len(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}

// normLanguage turns "de-DE", "DE" or "en_GB" into "de" / "en"; anything
// that is not a language tag becomes "".
func normLanguage(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	if len(s) < 2 || len(s) > 3 {
		return ""
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return s
}

// cleanText cleans every line of s and drops empty lines; lines are joined
// with "\n" (paragraph and list-item boundaries).
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = knowledge.CleanLine(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// sectionBuilder collects sections in order, merging consecutive text of the
// same section and dropping sections without text.
type sectionBuilder struct {
	sections []knowledge.Section
	cur      *knowledge.Section
	lines    []string
}

// start begins a new section; anchor is the fragment id the published
// page gives its heading ("" when none).
func (sb *sectionBuilder) start(kind knowledge.SectionKind, heading, anchor string) {
	sb.flush()
	sb.cur = &knowledge.Section{Kind: kind, Heading: heading, Anchor: anchor}
}

// line adds a line of text to the current section (a description section
// when none was started).
func (sb *sectionBuilder) line(s string) {
	if sb.cur == nil {
		sb.cur = &knowledge.Section{Kind: knowledge.SectionDescription}
	}
	sb.lines = append(sb.lines, s)
}

func (sb *sectionBuilder) flush() {
	if sb.cur == nil {
		return
	}
	sb.cur.Text = cleanText(strings.Join(sb.lines, "\n"))
	if sb.cur.Text != "" {
		sb.sections = append(sb.sections, *sb.cur)
	}
	sb.cur, sb.lines = nil, nil
}

func (sb *sectionBuilder) done() []knowledge.Section {
	sb.flush()
	return sb.sections
}
