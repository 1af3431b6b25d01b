package telegram

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/civibot/civibot/dialog"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/civibot/civibot/conversation"
)

// Messages are sent with parse_mode HTML: every text that is not markup
// civibot writes itself goes through escapeHTML, so a page title or a
// caseworker's text with <, > or & never breaks a message (and _ or *
// mean nothing in HTML mode).
const parseMode = tgbotapi.ModeHTML

// Telegram's limit is 4,096 characters (UTF-16 code units) of visible text
// per message; chunks stay a little below it.
const (
	maxMessageChars = 4096
	chunkChars      = 4000
	maxButtons      = 10
	maxButtonChars  = 60
)

var (
	htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
)

// escapeHTML makes s safe as text in a parse_mode HTML message.
func escapeHTML(s string) string { return htmlEscaper.Replace(s) }

// textLen counts characters as Telegram does (UTF-16 code units).
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1) // an invalid rune counts as U+FFFD
	}
	return n
}

// chunk is one Telegram message: the HTML to send, the same text without
// markup (sent if Telegram refuses the HTML), and an optional keyboard.
type chunk struct {
	html, plain string
	keyboard    *tgbotapi.InlineKeyboardMarkup
}

// part is a piece of a message in both forms.
type part struct{ html, plain string }

func plainPart(s string) part { return part{escapeHTML(s), s} }

// render turns a stored message into Telegram messages: a header naming a
// caseworker, the text split under the length limit at sentence
// boundaries, source links, and quick replies as an inline keyboard on the
// last message. author is the caseworker's display name ("" if unknown).
func render(m conversation.Message, author, city string, t texts) []chunk {
	body := strings.TrimSpace(strings.ToValidUTF8(m.Text, "\uFFFD"))
	var header *part
	wrap, sep := "", " "
	switch m.Role {
	case conversation.RoleCaseworker:
		name := author
		if name == "" {
			name = t.staff
		}
		org := ""
		if city != "" {
			org = " (" + fmt.Sprintf(t.cityOf, city) + ")"
		}
		header = &part{
			html:  "👤 <b>" + escapeHTML(name) + "</b>" + escapeHTML(org) + ":",
			plain: "👤 " + name + org + ":",
		}
		sep = "\n"
	case conversation.RoleSystem:
		header = &part{html: "ℹ️", plain: "ℹ️"}
		wrap = "i"
	}

	var footer []part
	for _, s := range m.Sources {
		footer = append(footer, sourceLine(s, t))
	}
	var foot *part
	if len(footer) > 0 {
		f := part{}
		for i, p := range footer {
			if i > 0 {
				f.html += "\n"
				f.plain += "\n"
			}
			f.html += p.html
			f.plain += p.plain
		}
		foot = &f
	}

	first := chunkChars
	if header != nil {
		first -= textLen(header.plain) + 1
	}
	var chunks []chunk
	for i, text := range splitText(body, first, chunkChars) {
		var c chunk
		if text != "" {
			h := escapeHTML(text)
			if wrap != "" {
				h = "<" + wrap + ">" + h + "</" + wrap + ">"
			}
			c = chunk{html: h, plain: text}
		}
		if i == 0 && header != nil {
			c = joinChunk(chunk{html: header.html, plain: header.plain}, c, sep)
		}
		chunks = append(chunks, c)
	}
	if foot != nil {
		last := &chunks[len(chunks)-1]
		if last.plain == "" {
			*last = chunk{html: foot.html, plain: foot.plain}
		} else if textLen(last.plain)+2+textLen(foot.plain) <= chunkChars {
			*last = joinChunk(*last, chunk{html: foot.html, plain: foot.plain}, "\n\n")
		} else {
			for _, p := range footer {
				chunks = append(chunks, chunk{html: p.html, plain: p.plain})
			}
		}
	}
	// Drop empty chunks (a message with neither text nor sources).
	out := chunks[:0]
	for _, c := range chunks {
		if strings.TrimSpace(c.plain) != "" {
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		out[len(out)-1].keyboard = keyboard(m)
	}
	return out
}

func joinChunk(a, b chunk, sep string) chunk {
	switch {
	case a.plain == "":
		return b
	case b.plain == "":
		return a
	}
	return chunk{html: a.html + sep + b.html, plain: a.plain + sep + b.plain}
}

// sourceLine links a source page; only http(s) URLs become links.
func sourceLine(s conversation.Source, t texts) part {
	title := strings.TrimSpace(s.Title)
	u, err := url.Parse(s.URL)
	isLink := err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
	if title == "" {
		title = s.URL
	}
	label := "🔗 " + t.sources + ": "
	if !isLink {
		return plainPart(label + title)
	}
	return part{
		html:  escapeHTML(label) + `<a href="` + attrEscaper.Replace(s.URL) + `">` + escapeHTML(title) + "</a>",
		plain: label + title + " (" + s.URL + ")",
	}
}

// keyboard turns quick replies into inline buttons. Callback data names
// the stored message and the reply's index ("q:<seq>:<i>", well under
// Telegram's 64 bytes whatever the payload); the payload is looked up when
// the button is pressed.
func keyboard(m conversation.Message) *tgbotapi.InlineKeyboardMarkup {
	if m.Seq <= 0 || len(m.QuickReplies) == 0 {
		return nil
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, q := range m.QuickReplies {
		if i == maxButtons {
			break
		}
		label := strings.TrimSpace(q.Label)
		if label == "" {
			label = strings.TrimSpace(q.Payload)
		}
		if label == "" {
			continue
		}
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(truncate(label, maxButtonChars), callbackData(m.Seq, i))))
	}
	if len(rows) == 0 {
		return nil
	}
	k := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &k
}

func callbackData(seq int64, i int) string {
	return "q:" + strconv.FormatInt(seq, 10) + ":" + strconv.Itoa(i)
}

// parseCallbackData reads what callbackData wrote.
func parseCallbackData(s string) (seq int64, i int, ok bool) {
	rest, found := strings.CutPrefix(s, "q:")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, ":")
	if !found {
		return 0, 0, false
	}
	seq, err1 := strconv.ParseInt(a, 10, 64)
	i, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || seq <= 0 || i < 0 || i >= maxButtons {
		return 0, 0, false
	}
	return seq, i, true
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// splitText splits s into pieces of at most first characters (the first
// piece) and rest characters (the others), cutting at a paragraph, a
// sentence or line end, or a space, in that order of preference, and
// only mid-word when a single word is longer than a piece.
func splitText(s string, first, rest int) []string {
	s = strings.TrimSpace(s)
	var out []string
	limit := max(first, 1)
	for !withinLimit(s, limit) {
		cut := cutPoint(s, limit)
		out = append(out, strings.TrimRightFunc(s[:cut], unicode.IsSpace))
		s = strings.TrimLeftFunc(s[cut:], unicode.IsSpace)
		limit = max(rest, 1)
	}
	return append(out, s)
}

// withinLimit reports whether textLen(s) <= limit, reading no more of s than the
// limit needs (splitText asks it of the whole rest of a long text).
func withinLimit(s string, limit int) bool {
	if len(s) <= limit {
		return true // a byte is at most one UTF-16 unit
	}
	n := 0
	for _, r := range s {
		if n += max(utf16.RuneLen(r), 1); n > limit {
			return false
		}
	}
	return true
}

// cutPoint returns a byte offset in s where a piece of at most limit
// characters ends.
func cutPoint(s string, limit int) int {
	// end: the longest prefix within the limit, at a rune boundary.
	// An invalid byte decodes as U+FFFD of width 1 in s (not the 3 bytes
	// U+FFFD takes when encoded), so the offset advances by what was read.
	end, n := 0, 0
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		w := max(utf16.RuneLen(r), 1)
		if n+w > limit {
			break
		}
		n += w
		end += size
	}
	if end == 0 { // cannot happen for limit ≥ 2; keep progress anyway
		_, w := utf8.DecodeRuneInString(s)
		return w
	}
	window := s[:end]
	if i := strings.LastIndex(window, "\n\n"); i >= end/2 {
		return i + 1
	}
	if i := lastSentenceEnd(window); i >= end/3 {
		return i
	}
	if i := strings.LastIndexFunc(window, unicode.IsSpace); i >= end/3 {
		return i
	}
	if i := strings.LastIndex(window, "\n\n"); i > 0 {
		return i + 1
	}
	if i := lastSentenceEnd(window); i > 0 {
		return i
	}
	if i := strings.LastIndexFunc(window, unicode.IsSpace); i > 0 {
		return i
	}
	return end
}

// lastSentenceEnd returns the offset just after the last sentence end (a
// line break, or . ! ? … — with closing quotes or brackets — followed by
// white space) in s, or -1.
func lastSentenceEnd(s string) int {
	for i := len(s) - 1; i > 0; i-- {
		if s[i] == '\n' {
			return i
		}
		if s[i] != ' ' && s[i] != '\t' {
			continue
		}
		j := i
		for j > 0 && strings.ContainsRune(`"')»“”’]`, lastRune(s[:j])) {
			_, w := utf8.DecodeLastRuneInString(s[:j])
			j -= w
		}
		switch lastRune(s[:j]) {
		case '!', '?', '…':
			return i
		case '.':
			word := s[:j-1]
			if k := strings.LastIndexFunc(word, unicode.IsSpace); k >= 0 {
				word = word[k+1:]
			}
			if !dialog.IsAbbreviation(word) {
				return i
			}
		}
	}
	return -1
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}
