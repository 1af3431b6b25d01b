package importer

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strings"

	"github.com/civibot/civibot/knowledge"

	"gopkg.in/yaml.v3"
)

// markdownPage reads one Markdown file: optional YAML front matter between
// "---" lines (id, title, url, language, keywords; other keys go to Meta),
// the text before the first "## " as description, and one section per "## "
// heading ("###" and deeper stay in their section as text).
func (im *importer) markdownPage(data []byte, rel string) (knowledge.Page, error) {
	fm, body, err := splitFrontMatter(data)
	if err != nil {
		return knowledge.Page{}, err
	}
	p := knowledge.Page{Meta: map[string]string{}}
	keys := make([]string, 0, len(fm))
	for k := range fm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := fm[k]
		switch strings.ToLower(k) {
		case "id":
			p.ID = knowledge.CleanLine(yamlScalar(v))
		case "title":
			p.Title = knowledge.CleanLine(yamlScalar(v))
		case "url":
			p.URL = strings.TrimSpace(yamlScalar(v))
		case "language", "lang":
			p.Language = normLanguage(yamlScalar(v))
		case "keywords":
			p.Keywords = yamlList(v)
		default:
			if s := yamlMeta(v); s != "" {
				p.Meta[k] = s
			}
		}
	}
	if len(p.Meta) == 0 {
		p.Meta = nil
	}
	if n, ok := listingLinks(body); ok {
		return knowledge.Page{}, errors.New("page " + listingProblem(n))
	}
	h1, sections := markdownDocument(body, 2, p.Title)
	if p.Title == "" {
		p.Title = knowledge.CleanLine(h1)
	}
	if p.Title == "" {
		return knowledge.Page{}, errors.New(`no title: add "title:" to the front matter or a "# " heading`)
	}
	if p.ID == "" {
		p.ID = idFromPath(rel)
	}
	if p.ID == "" {
		return knowledge.Page{}, errors.New(`cannot derive an id from the file name; add "id:" to the front matter`)
	}
	if p.Language == "" {
		p.Language = languageFromPath(rel)
	}
	if p.Language == "" {
		p.Language = im.opts.Language
	}
	p.Sections = sections
	if len(p.Sections) == 0 {
		return knowledge.Page{}, errors.New("page has no text")
	}
	return p, nil
}

// splitFrontMatter separates YAML front matter from the Markdown body.
func splitFrontMatter(data []byte) (map[string]any, string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	if !strings.HasPrefix(s, "---\n") {
		return nil, s, nil
	}
	rest := s[len("---\n"):]
	end := -1
	lineStart := 0
	for lineStart <= len(rest) {
		nl := strings.IndexByte(rest[lineStart:], '\n')
		line := rest[lineStart:]
		if nl >= 0 {
			line = rest[lineStart : lineStart+nl]
		}
		if t := strings.TrimRight(line, " \t"); t == "---" || t == "..." {
			end = lineStart
			break
		}
		if nl < 0 {
			break
		}
		lineStart += nl + 1
	}
	if end < 0 {
		return nil, "", errors.New(`front matter starts with "---" but has no closing "---" line`)
	}
	var fm map[string]any
	if err := yaml.Unmarshal([]byte(rest[:end]), &fm); err != nil {
		return nil, "", fmt.Errorf("front matter is not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	body := rest[end:]
	if nl := strings.IndexByte(body, '\n'); nl >= 0 {
		body = body[nl+1:]
	} else {
		body = ""
	}
	return fm, body, nil
}

func yamlScalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int, int64, uint64, float64, bool:
		return fmt.Sprint(x)
	}
	return ""
}

// yamlList reads a YAML list of scalars or a comma-separated string.
func yamlList(v any) []string {
	var raw []string
	switch x := v.(type) {
	case string:
		raw = strings.Split(x, ",")
	case []any:
		for _, e := range x {
			raw = append(raw, yamlScalar(e))
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

// yamlMeta turns a front-matter value into a Meta string: scalars as text,
// lists joined by ", ", maps as "k: v" pairs.
func yamlMeta(v any) string {
	switch x := v.(type) {
	case []any:
		return strings.Join(yamlList(x), ", ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+yamlMeta(x[k]))
		}
		return strings.Join(parts, "; ")
	}
	return knowledge.CleanLine(yamlScalar(v))
}

var (
	// mdHeadingID is a heading's attribute block with an id, as Pandoc,
	// kramdown, Hugo and Python-Markdown write it: "## Kosten {#kosten}".
	mdHeadingID = regexp.MustCompile(`[ \t]*\{[ \t]*((?:[.#][\w-]+|[\w-]+=\S+)[ \t]*)+\}[ \t]*$`)
	mdATX       = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	mdFence     = regexp.MustCompile("^ {0,3}(```|~~~)")
	mdBullet    = regexp.MustCompile(`^\s*[-*+][ \t]+(.*)$`)
	mdOrdered   = regexp.MustCompile(`^\s*(\d{1,9})[.)][ \t]+(.*)$`)
	mdRule      = regexp.MustCompile(`^ {0,3}([-*_])(?:[ \t]*[-*_]){2,}[ \t]*$`)
	mdSetextH1  = regexp.MustCompile(`^ {0,3}=+[ \t]*$`)
	mdSetextH2  = regexp.MustCompile(`^ {0,3}-+[ \t]*$`)
	mdTableSep  = regexp.MustCompile(`^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$`)
	mdQuote     = regexp.MustCompile(`^ {0,3}>[ \t]?`)
)

// headingAttributes splits "Kosten {#kosten .wide}" into the heading text
// and its id ("kosten"); text without an attribute block comes back as is.
func headingAttributes(text string) (string, string) {
	loc := mdHeadingID.FindStringIndex(text)
	if loc == nil {
		return text, ""
	}
	id := ""
	for _, f := range strings.Fields(strings.Trim(text[loc[0]:loc[1]], " \t{}")) {
		if strings.HasPrefix(f, "#") && id == "" {
			id = f[1:]
		}
	}
	return text[:loc[0]], id
}

// markdownSections parses Markdown text of a JSONL field into sections:
// headings of level 2 up to splitLevel start sections, deeper headings stay
// as text lines, a leading "# " heading is dropped (the page has its title).
func markdownSections(md string, splitLevel int, title string) []knowledge.Section {
	_, secs := markdownDocument(md, splitLevel, title)
	return secs
}

// markdownDocument parses a Markdown body. It returns the first level-1
// heading (the page title, not part of the text) and the sections; text
// before the first section heading is the description. Lines at the start
// that repeat the title are dropped.
func markdownDocument(md string, splitLevel int, title string) (h1 string, sections []knowledge.Section) {
	md = strings.ReplaceAll(md, "\r\n", "\n")
	lines := strings.Split(md, "\n")
	var sb sectionBuilder
	var para []string // lines of the current paragraph or list item
	started := false  // any text or section seen
	flushPara := func() {
		if len(para) > 0 {
			sb.line(inlineMarkdown(strings.Join(para, " ")))
			para = nil
		}
	}
	heading := func(level int, text string) {
		text, anchor := headingAttributes(text)
		text = knowledge.CleanLine(inlineMarkdown(text))
		flushPara()
		switch {
		case level == 1 && h1 == "" && sb.cur == nil && len(sb.sections) == 0:
			h1 = text
		case level >= 2 && level <= splitLevel || level == 1:
			sb.start(classifyHeading(text), text, anchor)
			started = true
		default:
			if text != "" {
				sb.line(text)
			}
		}
	}
	titleKey := strings.ToLower(knowledge.CleanLine(title))
	fence := ""
	for i := 0; i < len(lines); i++ {
		raw := lines[i]
		if fence != "" {
			if strings.HasPrefix(strings.TrimSpace(raw), fence) {
				fence = ""
				continue
			}
			sb.line(raw)
			continue
		}
		first := firstNonSpace(raw)
		if m := fenceMatch(raw, first); m != "" {
			flushPara()
			fence = m
			continue
		}
		line := strings.TrimRight(raw, " \t")
		if strings.TrimSpace(line) == "" {
			flushPara()
			continue
		}
		if first == '#' {
			if m := mdATX.FindStringSubmatch(line); m != nil {
				heading(len(m[1]), m[2])
				continue
			}
		}
		// Setext heading: one paragraph line underlined with "=" or "-".
		if len(para) == 1 && first == '=' && mdSetextH1.MatchString(line) {
			t := para[0]
			para = nil
			heading(1, t)
			continue
		}
		if len(para) == 0 && first == '=' && mdSetextH1.MatchString(line) {
			continue // the underline of a heading dropped as the title repeated
		}
		if len(para) == 1 && first == '-' && mdSetextH2.MatchString(line) && !mdBullet.MatchString(para[0]) {
			t := para[0]
			para = nil
			heading(2, t)
			continue
		}
		if strings.ContainsRune("-*_", first) && mdRule.MatchString(line) {
			flushPara()
			continue
		}
		if strings.Contains(line, "|") && mdTableSep.MatchString(line) {
			continue
		}
		if first == '>' {
			line = mdQuote.ReplaceAllString(line, "")
			first = firstNonSpace(line)
		}
		if m := bulletMatch(line, first); m != nil {
			flushPara()
			para = []string{"- " + m[1]}
			continue
		}
		if m := orderedMatch(line, first); m != nil {
			flushPara()
			para = []string{m[1] + ". " + m[2]}
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "|") {
			flushPara()
			cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
			for j := range cells {
				cells[j] = strings.TrimSpace(cells[j])
			}
			sb.line(inlineMarkdown(strings.Join(cells, " | ")))
			continue
		}
		text := strings.TrimSpace(line)
		if !started && len(para) == 0 && titleKey != "" && strings.ToLower(knowledge.CleanLine(inlineMarkdown(text))) == titleKey {
			continue // the title repeated as the first line
		}
		started = true
		if strings.HasSuffix(raw, "  ") || strings.HasSuffix(text, "\\") {
			// A hard line break: the paragraph goes on on a new line (kept
			// in one piece so that emphasis across the break is removed).
			text = strings.TrimSuffix(text, "\\") + "\n"
		}
		para = append(para, text)
	}
	flushPara()
	return h1, sb.done()
}

// firstNonSpace returns the first rune of s that is not a space or tab.
func firstNonSpace(s string) rune {
	for _, r := range s {
		if r != ' ' && r != '\t' {
			return r
		}
	}
	return 0
}

func fenceMatch(line string, first rune) string {
	if first != '`' && first != '~' {
		return ""
	}
	if m := mdFence.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	return ""
}

func bulletMatch(line string, first rune) []string {
	if first != '-' && first != '*' && first != '+' {
		return nil
	}
	return mdBullet.FindStringSubmatch(line)
}

func orderedMatch(line string, first rune) []string {
	if first < '0' || first > '9' {
		return nil
	}
	return mdOrdered.FindStringSubmatch(line)
}

var (
	mdImage     = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink      = regexp.MustCompile(`\[([^\]]*)\]\(([^()]*(?:\([^()]*\)[^()]*)*)\)`)
	mdRefLink   = regexp.MustCompile(`\[([^\]]+)\]\[[^\]]*\]`)
	mdAutoLink  = regexp.MustCompile(`<((?:https?://|mailto:)[^>\s]+|[^>\s@]+@[^>\s@]+\.[a-zA-Z]{2,})>`)
	mdBold      = regexp.MustCompile(`(?s)(\*\*|__)(\S(?:.*?\S)?)(\*\*|__)`)
	mdItalicA   = regexp.MustCompile(`(^|[\s(\[„"])\*(\S(?:[^*]*?\S)?)\*($|[\s).,;:!?\]"“])`)
	mdItalicU   = regexp.MustCompile(`(^|[\s(\[„"])_(\S(?:[^_]*?\S)?)_($|[\s).,;:!?\]"“])`)
	mdCode      = regexp.MustCompile("`+([^`]*)`+")
	mdBreakTag  = regexp.MustCompile(`(?i)<br\s*/?>`)
	mdHTMLTag   = regexp.MustCompile(`</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>`)
	mdEscape    = regexp.MustCompile("\\\\([!-/:-@\\[-`{-~])")
	mdStrikeOut = regexp.MustCompile(`(?s)~~(\S(?:.*?\S)?)~~`)
)

// inlineMarkdown turns inline Markdown into plain text: links keep their
// text (mailto:/tel: links also their address), images their alt text,
// emphasis and code marks go, HTML tags go, entities are decoded. A "*"
// inside a word ("Bürger*innen") is kept.
func inlineMarkdown(s string) string {
	if !strings.ContainsAny(s, "[]<>*_`~\\&") {
		return s // plain text: nothing to do (the common case)
	}
	if strings.Contains(s, "![") {
		s = mdImage.ReplaceAllString(s, "$1")
	}
	if strings.Contains(s, "](") {
		s = mdLink.ReplaceAllStringFunc(s, markdownLink)
	}
	if strings.Contains(s, "][") {
		s = mdRefLink.ReplaceAllString(s, "$1")
	}
	if strings.Contains(s, "<") {
		s = mdAutoLink.ReplaceAllStringFunc(s, func(m string) string {
			return strings.TrimPrefix(strings.Trim(m, "<>"), "mailto:")
		})
	}
	if strings.Contains(s, "`") {
		s = mdCode.ReplaceAllString(s, "$1")
	}
	if strings.Contains(s, "**") || strings.Contains(s, "__") {
		s = mdBold.ReplaceAllString(s, "$2")
	}
	if strings.Contains(s, "~~") {
		s = mdStrikeOut.ReplaceAllString(s, "$1")
	}
	if strings.ContainsAny(s, "*_") {
		for range 2 { // adjacent emphasis shares a boundary character
			s = mdItalicA.ReplaceAllString(s, "$1$2$3")
			s = mdItalicU.ReplaceAllString(s, "$1$2$3")
		}
	}
	if strings.Contains(s, "<") {
		s = mdBreakTag.ReplaceAllString(s, "\n")
		s = mdHTMLTag.ReplaceAllString(s, "")
	}
	if strings.Contains(s, "\\") {
		s = mdEscape.ReplaceAllString(s, "$1")
	}
	if strings.Contains(s, "&") {
		s = html.UnescapeString(s)
	}
	return s
}

// markdownLink renders one [text](target) link: the text, plus the address
// of a mailto:/tel: link when the text does not show it.
func markdownLink(m string) string {
	sub := mdLink.FindStringSubmatch(m)
	text, target := strings.TrimSpace(sub[1]), strings.TrimSpace(sub[2])
	if i := strings.Index(target, ` "`); i >= 0 && strings.HasSuffix(target, `"`) {
		target = strings.TrimSpace(target[:i]) // [text](url "title")
	}
	target = strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
	for _, scheme := range []string{"mailto:", "tel:"} {
		if len(target) > len(scheme) && strings.EqualFold(target[:len(scheme)], scheme) {
			addr := target[len(scheme):]
			if text == "" {
				return addr
			}
			if !strings.Contains(text, addr) {
				return text + " (" + addr + ")"
			}
		}
	}
	if text == "" {
		return target
	}
	return text
}

// listingHeading is a Markdown heading that is nothing but a link: the entry
// of a search result or overview page ("### [Vaterschaft anerkennen](/service/info/1)").
var listingHeading = regexp.MustCompile(`^#{1,6}[ \t]+\[[^\]]+\]\([^)\s]+\)[ \t]*$`)

// listingLinks counts the headings of a Markdown text that are links to
// other pages, and reports whether they make it a listing: a page that only
// lists other pages (a CMS's search results, "5 Dienstleistungen gefunden
// für …", or an overview of services) — at least three such headings and at
// most one other. Its entries are the other pages' opening lines, so it
// would compete with every page it lists and answer none of them.
func listingLinks(md string) (links int, listing bool) {
	var others int
	for _, line := range strings.Split(md, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "#") {
			continue
		}
		if listingHeading.MatchString(line) {
			links++
		} else if strings.Trim(line, "# \t") != "" {
			others++
		}
	}
	return links, links >= 3 && others <= 1
}

// listingProblem says why a listing page is not imported.
func listingProblem(links int) string {
	return fmt.Sprintf("only lists %d other pages (search results or an overview): not imported; import the pages it lists", links)
}
