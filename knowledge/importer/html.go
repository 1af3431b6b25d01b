package importer

import (
	"bytes"
	"errors"
	"strings"

	"github.com/civibot/civibot/knowledge"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlSkip are elements whose content is never page text.
var htmlSkip = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Nav: true, atom.Header: true, atom.Footer: true, atom.Aside: true,
	atom.Form: true, atom.Iframe: true, atom.Svg: true, atom.Math: true,
	atom.Button: true, atom.Select: true, atom.Textarea: true, atom.Object: true,
	atom.Embed: true, atom.Canvas: true, atom.Audio: true, atom.Video: true,
	atom.Dialog: true, atom.Head: true,
}

// htmlBlock are elements that end a line of text.
var htmlBlock = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Table: true, atom.Thead: true, atom.Tbody: true, atom.Tfoot: true, atom.Tr: true,
	atom.Caption: true, atom.Blockquote: true, atom.Pre: true, atom.Figure: true,
	atom.Figcaption: true, atom.Address: true, atom.Details: true, atom.Summary: true,
	atom.Hr: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Fieldset: true,
	atom.Legend: true, atom.Center: true, atom.Body: true,
}

// htmlPage reads one HTML file: language from <html lang>, title from the
// first <h1> (else <title>), URL from <link rel="canonical"> (else the file
// path), text from <main>, [role=main] or <article> (else <body>) without
// scripts, navigation, forms and hidden elements; <h2> and <h3> start
// sections.
func (im *importer) htmlPage(data []byte, rel string) (knowledge.Page, error) {
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return knowledge.Page{}, errors.New("cannot parse HTML: " + err.Error())
	}
	p := knowledge.Page{}
	var titleTag, firstH1, canonical, keywords string
	var root, roleMain, article, body *html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if l := normLanguage(attr(n, "lang")); l != "" {
					p.Language = l
				}
			case atom.Title:
				if titleTag == "" {
					titleTag = knowledge.CleanLine(textOf(n))
				}
			case atom.Link:
				if canonical == "" && hasToken(attr(n, "rel"), "canonical") {
					canonical = strings.TrimSpace(attr(n, "href"))
				}
			case atom.Meta:
				if strings.EqualFold(attr(n, "name"), "keywords") {
					keywords = attr(n, "content")
				}
			case atom.Main:
				if root == nil && !hiddenNode(n) {
					root = n
				}
			case atom.Article:
				if article == nil && !hiddenNode(n) {
					article = n
				}
			case atom.Body:
				body = n
			}
			if roleMain == nil && strings.EqualFold(attr(n, "role"), "main") && !hiddenNode(n) {
				roleMain = n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, n := range []*html.Node{roleMain, article, body} {
		if root == nil {
			root = n
		}
	}
	if root == nil {
		return knowledge.Page{}, errors.New("HTML has no body")
	}
	// The title: the first visible <h1> in the content, else anywhere, else <title>.
	h1 := findFirst(root, atom.H1)
	if h1 == nil {
		h1 = findFirst(doc, atom.H1)
	}
	if h1 != nil {
		firstH1 = knowledge.CleanLine(textOf(h1))
	}
	p.Title = firstH1
	if p.Title == "" {
		p.Title = titleTag
	}
	if p.Title == "" {
		return knowledge.Page{}, errors.New("no title: the page has neither <h1> nor <title>")
	}
	p.URL = canonical
	if p.URL == "" {
		p.URL = rel
	}
	p.ID = idFromPath(rel)
	if p.ID == "" {
		return knowledge.Page{}, errors.New("cannot derive an id from the file name")
	}
	if p.Language == "" {
		p.Language = languageFromPath(rel)
	}
	if p.Language == "" {
		p.Language = im.opts.Language
	}
	for _, k := range strings.Split(keywords, ",") {
		if k = knowledge.CleanLine(k); k != "" {
			p.Keywords = append(p.Keywords, k)
		}
	}
	x := htmlText{titleNode: h1}
	x.node(root)
	p.Sections = x.done()
	if len(p.Sections) == 0 {
		return knowledge.Page{}, errors.New("page has no text")
	}
	return p, nil
}

// htmlText collects the visible text of an element tree into sections.
type htmlText struct {
	sb        sectionBuilder
	line      strings.Builder
	titleNode *html.Node
}

func (x *htmlText) endLine() {
	if l := knowledge.CleanLine(x.line.String()); l != "" {
		x.sb.line(l)
	}
	x.line.Reset()
}

func (x *htmlText) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		x.line.WriteString(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
	default:
		return
	}
	if n.Type == html.ElementNode {
		if htmlSkip[n.DataAtom] || hiddenNode(n) || n == x.titleNode {
			return
		}
		switch n.DataAtom {
		case atom.H1, atom.H2, atom.H3:
			x.endLine()
			h := knowledge.CleanLine(textOf(n))
			if h != "" {
				x.sb.start(classifyHeading(h), h, headingAnchor(n))
			}
			return
		case atom.Br:
			x.endLine()
			return
		case atom.Li:
			x.endLine()
			x.line.WriteString("- ")
		case atom.Td, atom.Th:
			if prev := prevElement(n); prev != nil && (prev.DataAtom == atom.Td || prev.DataAtom == atom.Th) {
				x.line.WriteString(" | ")
			} else {
				x.line.WriteString(" ")
			}
		case atom.Img:
			return
		case atom.Pre:
			x.endLine()
			for _, l := range strings.Split(textOf(n), "\n") {
				x.line.WriteString(l)
				x.endLine()
			}
			return
		}
		if htmlBlock[n.DataAtom] {
			x.endLine()
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		x.node(c)
	}
	if n.Type == html.ElementNode {
		switch {
		case n.DataAtom == atom.A:
			href := strings.TrimSpace(attr(n, "href"))
			for _, scheme := range []string{"mailto:", "tel:"} {
				if len(href) > len(scheme) && strings.EqualFold(href[:len(scheme)], scheme) {
					addr := href[len(scheme):]
					if i := strings.IndexByte(addr, '?'); i >= 0 {
						addr = addr[:i]
					}
					if !strings.Contains(textOf(n), addr) {
						x.line.WriteString(" (" + addr + ")")
					}
				}
			}
		case htmlBlock[n.DataAtom] || n.DataAtom == atom.Li:
			x.endLine()
		}
	}
}

func (x *htmlText) done() []knowledge.Section {
	x.endLine()
	return x.sb.done()
}

// headingAnchor is the fragment id that links to a heading: its own id, an
// anchor inside it (<h2><a id="kosten"></a>Kosten</h2>, also the old
// name=), an empty anchor right before it, or the id of the element it
// opens (<section id="kosten"><h2>…). "" when the page gives none.
func headingAnchor(h *html.Node) string {
	if id := anchorAttr(h); id != "" {
		return id
	}
	for c := h.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.A {
			if id := anchorAttr(c); id != "" {
				return id
			}
		}
	}
	if prev := prevElement(h); prev != nil && prev.DataAtom == atom.A && strings.TrimSpace(textOf(prev)) == "" {
		if id := anchorAttr(prev); id != "" {
			return id
		}
	}
	if parent := h.Parent; parent != nil && parent.Type == html.ElementNode && parent.DataAtom == atom.Section && prevElement(h) == nil {
		return anchorAttr(parent)
	}
	return ""
}

// anchorAttr is an element's id, or an anchor's name.
func anchorAttr(n *html.Node) string {
	if id := strings.TrimSpace(attr(n, "id")); id != "" {
		return id
	}
	if n.DataAtom == atom.A {
		return strings.TrimSpace(attr(n, "name"))
	}
	return ""
}

// hiddenNode reports elements that browsers do not show: hidden,
// aria-hidden="true", style display:none or visibility:hidden, and
// <input type="hidden">.
func hiddenNode(n *html.Node) bool {
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(a.Val), "true") {
				return true
			}
		case "type":
			if n.DataAtom == atom.Input && strings.EqualFold(strings.TrimSpace(a.Val), "hidden") {
				return true
			}
		case "style":
			st := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
			if strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// textOf returns the visible text below n (skipped and hidden elements left out).
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if (htmlSkip[n.DataAtom] && n.DataAtom != atom.Head) || hiddenNode(n) {
				return
			}
			if n.DataAtom == atom.Br {
				b.WriteString("\n")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func findFirst(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode {
		if htmlSkip[n.DataAtom] || hiddenNode(n) {
			return nil
		}
		if n.DataAtom == a {
			return n
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findFirst(c, a); f != nil {
			return f
		}
	}
	return nil
}

func prevElement(n *html.Node) *html.Node {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		if p.Type == html.ElementNode {
			return p
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}
