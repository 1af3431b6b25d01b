package email

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText reads an HTML mail as text: paragraphs and line breaks kept,
// links as "text (url)" when the url is not the text, lists as "- item";
// scripts, styles and quoted earlier mail (blockquote, Gmail's and
// Outlook's reply containers) left out.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0 // depth inside an element whose content is left out
	var stack []atom.Atom
	var href string
	var linkText strings.Builder
	inLink := false
	nl := func() {
		if !strings.HasSuffix(b.String(), "\n") && b.Len() > 0 {
			b.WriteString("\n")
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidy(b.String())
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if skip > 0 {
				if tt == html.StartTagToken && !void(t.DataAtom) {
					skip++
				}
				continue
			}
			if leaveOut(t) {
				if tt == html.StartTagToken && !void(t.DataAtom) {
					skip = 1
				}
				continue
			}
			if tt == html.StartTagToken && !void(t.DataAtom) {
				stack = append(stack, t.DataAtom)
			}
			switch t.DataAtom {
			case atom.Br:
				b.WriteString("\n")
			case atom.P, atom.Div, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table, atom.Ul, atom.Ol:
				nl()
			case atom.Li:
				nl()
				b.WriteString("- ")
			case atom.Td, atom.Th:
				b.WriteString(" ")
			case atom.A:
				href, inLink = attr(t, "href"), true
				linkText.Reset()
			}
		case html.EndTagToken:
			t := z.Token()
			if skip > 0 {
				skip--
				continue
			}
			if n := len(stack); n > 0 {
				stack = stack[:n-1]
			}
			switch t.DataAtom {
			case atom.P, atom.Div, atom.Tr, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Li, atom.Table:
				nl()
			case atom.A:
				if inLink {
					text := strings.TrimSpace(linkText.String())
					if (strings.HasPrefix(href, "http://") || strings.HasPrefix(href, "https://")) && href != text && strings.TrimSuffix(href, "/") != strings.TrimSuffix(text, "/") {
						b.WriteString(" (" + href + ")")
					}
				}
				inLink = false
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			text := string(z.Text())
			text = spaceRe.ReplaceAllString(text, " ")
			if strings.HasSuffix(b.String(), "\n") || b.Len() == 0 {
				text = strings.TrimLeft(text, " ")
			}
			b.WriteString(text)
			if inLink {
				linkText.WriteString(text)
			}
		}
	}
}

var spaceRe = regexp.MustCompile(`[ \t\r\n\f\x{00A0}]+`)

// leaveOut: elements whose content is not the citizen's new text.
func leaveOut(t html.Token) bool {
	switch t.DataAtom {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Blockquote, atom.Template, atom.Noscript:
		return true
	}
	class, id := attr(t, "class"), attr(t, "id")
	for _, c := range strings.Fields(class) {
		switch c {
		case "gmail_quote", "gmail_extra", "moz-cite-prefix", "yahoo_quoted", "OutlookMessageHeader":
			return true
		}
	}
	switch id {
	case "appendonsend", "divRplyFwdMsg", "mail-editor-reference-message-container":
		return true
	}
	return false
}

func void(a atom.Atom) bool {
	switch a {
	case atom.Br, atom.Img, atom.Hr, atom.Meta, atom.Link, atom.Input, atom.Col, atom.Area, atom.Base, atom.Wbr, atom.Source:
		return true
	}
	return false
}

func attr(t html.Token, name string) string {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// tidy trims lines and folds runs of blank lines into one.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if strings.TrimSpace(l) == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, strings.TrimSpace(l))
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// Quote introductions of the common mail programs, in the languages
// citizens write in: a line like "Am 3. März 2026 um 10:15 schrieb …:".
var (
	attributionRe      = regexp.MustCompile(`(?i)(^.*[0-9].*(wrote|schrieb|a écrit|escribió|ha scritto|schreef|yazdı|napisał\(a\)|napisał|написал\(а\)|написал|kirjoitti|skrev).*:\s*$)|((wrote|schrieb|a écrit|escribió|ha scritto|schreef|yazdı|napisał\(a\)|napisał|написал\(а\)|написал|kirjoitti|skrev)\s*:\s*$)`)
	attributionStartRe = regexp.MustCompile(`(?i)^\s*(on|am|le|el|il|op)\s.*[0-9]`)
	// Outlook and others put the quoted mail under a separator or a block
	// of header lines.
	separatorRe  = regexp.MustCompile(`(?i)^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|orijinal ileti|forwarded message|weitergeleitete nachricht)\s*-{2,}|_{10,}|-{20,})\s*$`)
	headerLineRe = regexp.MustCompile(`(?i)^\s*\**(from|von|de|da|van|kimden|od|от|sent|gesendet|envoyé|enviado|date|datum)\s*:\**\s+\S`)
	// Phone mail apps' footers.
	mobileRe = regexp.MustCompile(`(?i)^\s*(sent from my |von meinem .* gesendet|gesendet von meinem|get outlook for |outlook für |envoyé de mon |enviado desde mi |inviato da )`)
	// Closings after which only a name, a title and contact lines follow.
	closingRe = regexp.MustCompile(`(?i)^\s*(mit freundlichen grü(ß|ss)en|freundliche grü(ß|ss)e|viele grü(ß|ss)e|beste grü(ß|ss)e|liebe grü(ß|ss)e|herzliche grü(ß|ss)e|grü(ß|ss)e|mfg|lg|vg|best regards|kind regards|regards|best wishes|many thanks|thanks and regards|cheers|saygılarımla|iyi çalışmalar|cordialement|bien cordialement|saludos|un saluto|pozdrawiam|с уважением)\s*[,.!]*\s*$`)
)

// stripQuoted removes what a reply quotes of earlier mail and the
// signature, keeping the citizen's new text: lines starting with ">", an
// attribution line ("On … wrote:") or separator and everything after it,
// the "-- " signature and phone footers, and a closing ("Mit freundlichen
// Grüßen") followed by no more than a few short lines.
func stripQuoted(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out []string
	for i, l := range lines {
		t := strings.TrimRight(l, " \t")
		if t == "--" && i > 0 || l == "-- " || mobileRe.MatchString(t) || separatorRe.MatchString(t) {
			break
		}
		if strings.HasPrefix(strings.TrimLeft(t, " "), ">") {
			continue
		}
		if attributionRe.MatchString(t) && len([]rune(t)) < 250 {
			// A mail program may have wrapped the line: drop its first half.
			if n := len(out); n > 0 && attributionStartRe.MatchString(out[n-1]) {
				out = out[:n-1]
			}
			break
		}
		if headerLineRe.MatchString(t) && headerBlock(lines[i:]) {
			break
		}
		out = append(out, t)
	}
	// A closing near the end: cut it and the name under it.
	for i := len(out) - 1; i >= 0 && i >= len(out)-8; i-- {
		if closingRe.MatchString(out[i]) && shortTail(out[i+1:]) {
			out = out[:i]
			break
		}
	}
	return tidy(strings.Join(out, "\n"))
}

// headerBlock: at least two header-like lines (From:, Sent:, To:,
// Subject:) within the next four, as Outlook writes above a quoted mail.
func headerBlock(lines []string) bool {
	n := 0
	for i, l := range lines {
		if i == 5 {
			break
		}
		if headerLineRe.MatchString(l) || toSubjectRe.MatchString(l) {
			n++
		}
	}
	return n >= 2
}

var toSubjectRe = regexp.MustCompile(`(?i)^\s*\**(to|an|à|a|para|cc|subject|betreff|objet|asunto|oggetto|konu)\s*:\**\s`)

// shortTail: what follows a closing is a signature — a few short lines.
func shortTail(lines []string) bool {
	if len(lines) > 6 {
		return false
	}
	for _, l := range lines {
		if len([]rune(l)) > 60 {
			return false
		}
	}
	return true
}

// subjectText strips reply and forward prefixes from a subject.
func subjectText(subject string) string {
	s := strings.TrimSpace(subject)
	for {
		m := replyPrefixRe.FindString(s)
		if m == "" {
			break
		}
		s = strings.TrimSpace(s[len(m):])
	}
	return s
}

var replyPrefixRe = regexp.MustCompile(`(?i)^\s*(re|aw|wg|fw|fwd|antw|sv|vs|r|rif|ynt|odp|tr|enc)\s*(\[\d+\])?\s*:\s*`)

// genericSubject: subjects that say nothing about the question.
func genericSubject(s string) bool {
	switch strings.ToLower(strings.Trim(s, " .!?:")) {
	case "", "frage", "anfrage", "eine frage", "question", "a question", "hallo", "hello", "hi", "guten tag", "info", "information",
		"informationen", "kein betreff", "(kein betreff)", "no subject", "(no subject)", "bitte um auskunft", "auskunft", "anliegen":
		return true
	}
	return false
}
