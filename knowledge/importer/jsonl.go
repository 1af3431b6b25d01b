package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/civibot/civibot/knowledge"
)

// jsonlRecord is one parsed line of a JSONL file.
type jsonlRecord struct {
	line   int
	fields map[string]any
}

// jsonl imports one JSONL file: one JSON object per line. Malformed lines,
// records without id or title and duplicates are Problems; a mapped field
// that no record of the file has stops the import (a typo in the options).
func (im *importer) jsonl(ctx context.Context, r io.Reader, shown string) error {
	o := im.opts
	first := len(im.problems)
	defer func() {
		// Report this file's problems in line order.
		ps := im.problems[first:]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	}()
	var recs []jsonlRecord
	present := map[string]int{}
	err := readLines(r, MaxImportLine, func(n int, line []byte, tooLong bool) error {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if tooLong {
			im.problem(shown, n, fmt.Sprintf("line is longer than %d MiB; skipped", MaxImportLine>>20))
			return nil
		}
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			return nil
		}
		fields, err := decodeObject(line)
		if err != nil {
			im.problem(shown, n, err.Error())
			return nil
		}
		for k, v := range fields {
			if v != nil {
				present[k]++
			}
		}
		recs = append(recs, jsonlRecord{line: n, fields: fields})
		return nil
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("importer: import: %w", err)
		}
		im.problem(shown, 0, "cannot read: "+errText(err))
		return nil
	}
	if len(recs) == 0 {
		return nil
	}
	if err := im.checkFields(shown, present); err != nil {
		return err
	}

	// Decide per body field whether to repair glued words.
	repair := map[string]bool{}
	for _, f := range o.BodyFields {
		switch o.RepairGlued {
		case RepairGluedOn:
			repair[f] = true
		case RepairGluedAuto:
			var cands, words int
			for _, rec := range recs {
				if s, ok := textValue(rec.fields[f]); ok {
					_, c := repairGlued(s)
					cands += c
					words += len(strings.Fields(s))
				}
			}
			repair[f] = gluedOften(cands, words)
		}
	}

	mapped := map[string]bool{o.IDField: true, o.TitleField: true, o.URLField: true, o.LanguageField: true}
	if o.KeywordsField != "" {
		mapped[o.KeywordsField] = true
	}
	for _, f := range o.BodyFields {
		mapped[f] = true
	}
	for _, rec := range recs {
		if !matchesWhere(rec.fields, o.Where) {
			continue
		}
		page, msg := im.recordPage(rec.fields, mapped, repair)
		if msg != "" {
			im.problem(shown, rec.line, msg)
			continue
		}
		im.add(page, shown, rec.line)
	}
	return nil
}

// checkFields stops the import when a field the options name is in no
// record of the file.
func (im *importer) checkFields(shown string, present map[string]int) error {
	o := im.opts
	type need struct{ what, field string }
	needs := []need{{"id field", o.IDField}, {"title field", o.TitleField}}
	if im.urlSet {
		needs = append(needs, need{"url field", o.URLField})
	}
	if im.langSet {
		needs = append(needs, need{"language field", o.LanguageField})
	}
	if o.KeywordsField != "" {
		needs = append(needs, need{"keywords field", o.KeywordsField})
	}
	for _, f := range o.BodyFields {
		needs = append(needs, need{"body field", f})
	}
	keys := make([]string, 0, len(o.Where))
	for k := range o.Where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		needs = append(needs, need{"filter field", k})
	}
	for _, n := range needs {
		if present[n.field] == 0 {
			found := make([]string, 0, len(present))
			for k := range present {
				found = append(found, k)
			}
			sort.Strings(found)
			if len(found) > 20 {
				found = append(found[:20], "…")
			}
			return &importError{fmt.Sprintf("importer: import: %s: no record has the %s %q (fields found: %s)",
				shown, n.what, n.field, strings.Join(found, ", "))}
		}
	}
	return nil
}

// recordPage turns one record into a page, or explains why it cannot.
func (im *importer) recordPage(fields map[string]any, mapped, repair map[string]bool) (knowledge.Page, string) {
	o := im.opts
	id, _ := scalarValue(fields[o.IDField])
	id = knowledge.CleanLine(id)
	if id == "" {
		return knowledge.Page{}, fmt.Sprintf("record has no id (field %q)", o.IDField)
	}
	title, _ := scalarValue(fields[o.TitleField])
	title = knowledge.CleanLine(title)
	if title == "" {
		return knowledge.Page{}, fmt.Sprintf("record %q has no title (field %q)", id, o.TitleField)
	}
	p := knowledge.Page{ID: id, Title: title, Language: o.Language}
	if u, ok := scalarValue(fields[o.URLField]); ok {
		p.URL = strings.TrimSpace(u)
	}
	if l, ok := scalarValue(fields[o.LanguageField]); ok {
		if l = normLanguage(l); l != "" {
			p.Language = l
		}
	}
	if o.KeywordsField != "" {
		p.Keywords = keywordList(fields[o.KeywordsField])
	}
	for i, f := range o.BodyFields {
		text, ok := textValue(fields[f])
		if !ok {
			continue
		}
		if repair[f] {
			// Strip the glued heading before repairing, so that
			// "Voraussetzungenkeine …" loses its heading too.
			kind := classifyHeading(f)
			heading, rest := stripLeadingHeading(text, kind)
			text, _ = repairGlued(rest)
			if heading != "" {
				text = heading + "\n" + text
			}
		}
		var secs []knowledge.Section
		if isMarkdownField(f) || looksLikeMarkdown(text) {
			if n, ok := listingLinks(text); ok {
				return knowledge.Page{}, fmt.Sprintf("record %q %s", id, listingProblem(n))
			}
			secs = markdownSections(text, 3, title)
		} else {
			secs = plainSections(f, text, title, i == 0)
		}
		p.Sections = append(p.Sections, secs...)
	}
	if len(p.Sections) == 0 {
		return knowledge.Page{}, fmt.Sprintf("record %q has no text in %s", id, strings.Join(quoteAll(o.BodyFields), ", "))
	}
	for k, v := range fields {
		if mapped[k] || v == nil {
			continue
		}
		s := metaValue(v)
		if s == "" {
			continue
		}
		if p.Meta == nil {
			p.Meta = map[string]string{}
		}
		p.Meta[k] = s
	}
	return p, ""
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// isMarkdownField reports whether a field name says it holds Markdown.
func isMarkdownField(name string) bool {
	n := strings.ToLower(name)
	return n == "md" || strings.Contains(n, "markdown") || strings.HasSuffix(n, "_md")
}

// looksLikeMarkdown reports whether plain text has "## " or "### " heading
// lines, which only Markdown has.
func looksLikeMarkdown(s string) bool {
	for {
		i := strings.Index(s, "## ")
		if i < 0 {
			return false
		}
		start := strings.LastIndexByte(s[:i], '\n') + 1
		if prefix := s[start:i]; prefix == "" || prefix == "#" {
			return true
		}
		s = s[i+3:]
	}
}

// plainSections turns the text of one plain-text field into sections: the
// field name gives the first section's kind, a leading heading that repeats
// it is dropped ("VoraussetzungenFachliche …"), lines that are headings on
// their own ("Verfahrensablauf") start new sections, and in the first field
// leading lines that repeat the title are dropped.
func plainSections(field, text, title string, first bool) []knowledge.Section {
	kind := classifyHeading(field)
	heading, text := stripLeadingHeading(text, kind)
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if first {
		t := strings.ToLower(knowledge.CleanLine(title))
		for len(lines) > 0 {
			l := strings.ToLower(knowledge.CleanLine(lines[0]))
			if l != "" && l != t {
				break
			}
			lines = lines[1:]
		}
	}
	var sb sectionBuilder
	sb.start(kind, heading, "")
	curKind, hasText := kind, false
	for _, l := range lines {
		l = knowledge.CleanLine(l)
		if l == "" {
			continue
		}
		if k, ok := headingLineKind(l); ok {
			h := strings.TrimSpace(strings.TrimSuffix(l, ":"))
			if k == curKind && !hasText {
				if sb.cur.Heading == "" {
					sb.cur.Heading = h
				}
				continue
			}
			if k != curKind {
				sb.start(k, h, "")
				curKind, hasText = k, false
				continue
			}
		}
		sb.line(l)
		hasText = true
	}
	return sb.done()
}

// stripLeadingHeading removes a heading at the start of text that names the
// field's own kind ("Voraussetzungen", "Erforderliche Unterlagen"), also when
// a scraper glued it to the next word. It returns the heading as written and
// the rest. A short heading glued to a lowercase letter ("Kostenlos …") is
// left alone: that is a word, not a heading.
func stripLeadingHeading(text string, kind knowledge.SectionKind) (heading, rest string) {
	if kind == knowledge.SectionOther {
		return "", text
	}
	t := strings.TrimLeftFunc(text, unicode.IsSpace)
	best := 0
	for _, c := range headingCandidates[kind] {
		n, ok := hasPrefixFold(t, c)
		if !ok || n <= best {
			continue
		}
		next, _ := utf8.DecodeRuneInString(t[n:])
		if n < len(t) && (unicode.IsLetter(next) || unicode.IsDigit(next)) {
			if unicode.IsLower(next) || unicode.IsDigit(next) {
				if utf8.RuneCountInString(c) < 12 {
					continue
				}
			}
		}
		best = n
	}
	if best == 0 {
		return "", text
	}
	heading = t[:best]
	rest = strings.TrimLeftFunc(t[best:], func(r rune) bool { return unicode.IsSpace(r) || r == ':' })
	return heading, rest
}

// headingCandidates lists, per kind, the headings (lowercase, single
// spaces) that may lead a field of that kind. Built once; read only.
var headingCandidates = func() map[knowledge.SectionKind][]string {
	out := map[knowledge.SectionKind][]string{}
	for w, k := range strictHeadingWords {
		out[k] = append(out[k], w)
		for a := range headingAdjectives {
			out[k] = append(out[k], a+" "+w)
		}
	}
	for _, p := range strictHeadingPhrases {
		out[p.kind] = append(out[p.kind], strings.Join(p.words, " "))
	}
	for _, list := range out {
		sort.Strings(list)
	}
	return out
}()

// hasPrefixFold reports whether s starts with prefix, ignoring case, and
// how many bytes of s the prefix covers.
func hasPrefixFold(s, prefix string) (int, bool) {
	i := 0
	for _, pr := range prefix {
		if i >= len(s) {
			return 0, false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.ToLower(r) != unicode.ToLower(pr) {
			return 0, false
		}
		i += size
	}
	return i, true
}

// decodeObject parses one JSONL line as a JSON object, numbers kept exact.
func decodeObject(line []byte) (map[string]any, error) {
	if line[0] != '{' {
		if !utf8.Valid(line) || bytes.IndexByte(line, 0) >= 0 {
			return nil, errors.New("not JSON (binary data)")
		}
		return nil, errors.New("not a JSON object (a line must start with '{')")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("malformed JSON: %s", knowledge.JSONErrorText(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("malformed JSON: more than one value on the line")
	}
	return m, nil
}

// scalarValue returns a string, number or boolean as text.
func scalarValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// textValue returns a body field's text: a string, or a list of strings as
// lines.
func textValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, strings.TrimSpace(x) != ""
	case []any:
		var lines []string
		for _, e := range x {
			if s, ok := scalarValue(e); ok && strings.TrimSpace(s) != "" {
				lines = append(lines, s)
			}
		}
		return strings.Join(lines, "\n"), len(lines) > 0
	}
	return "", false
}

// metaValue turns an unmapped field into a Meta string: scalars as text,
// lists of scalars joined by ", ", anything else as compact JSON.
func metaValue(v any) string {
	if s, ok := scalarValue(v); ok {
		return strings.TrimSpace(s)
	}
	if list, ok := v.([]any); ok {
		parts := make([]string, 0, len(list))
		all := true
		for _, e := range list {
			s, ok := scalarValue(e)
			if !ok {
				all = false
				break
			}
			parts = append(parts, s)
		}
		if all {
			return strings.Join(parts, ", ")
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// keywordList reads keywords from a list of strings or a comma-separated
// string.
func keywordList(v any) []string {
	var raw []string
	switch x := v.(type) {
	case string:
		raw = strings.Split(x, ",")
	case []any:
		for _, e := range x {
			if s, ok := scalarValue(e); ok {
				raw = append(raw, s)
			}
		}
	}
	var out []string
	for _, k := range raw {
		if k = knowledge.CleanLine(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// matchesWhere reports whether every Where field has the wanted value.
func matchesWhere(fields map[string]any, where map[string]string) bool {
	for k, want := range where {
		got, ok := scalarValue(fields[k])
		if !ok || strings.TrimSpace(got) != strings.TrimSpace(want) {
			return false
		}
	}
	return true
}

// readLines calls fn for every line of r (without the line break), with its
// 1-based number. Lines longer than max bytes are not kept: fn gets
// tooLong=true and the reader skips to the next line.
func readLines(r io.Reader, max int, fn func(n int, line []byte, tooLong bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	tooLong := false
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > max+2 { // +2: room for "\r\n"
				tooLong = true
				buf = buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && err != io.EOF {
			return err
		}
		if err == io.EOF && len(buf) == 0 && !tooLong {
			return nil
		}
		n++
		line := bytes.TrimRight(buf, "\r\n")
		if !tooLong && len(line) > max {
			tooLong = true
		}
		if ferr := fn(n, line, tooLong); ferr != nil {
			return ferr
		}
		buf, tooLong = buf[:0], false
		if err == io.EOF {
			return nil
		}
	}
}

// --- glued words -----------------------------------------------------------
