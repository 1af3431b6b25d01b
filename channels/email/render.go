package email

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// outMail is one mail civibot sends.
type outMail struct {
	To         string
	Subject    string
	MessageID  string
	InReplyTo  string
	References []string
	// Auto marks a mail the bot wrote (Auto-Submitted: auto-replied); a
	// caseworker's reply is a person's.
	Auto     bool
	Language string
	Text     string
	HTML     string
	Date     time.Time
}

// body is a mail's text as paragraphs, each rendered as plain text and
// HTML.
type body struct {
	text, html strings.Builder
}

func (b *body) para(s string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	if b.text.Len() > 0 {
		b.text.WriteString("\n\n")
	}
	b.text.WriteString(s)
	b.html.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(s), "\n", "<br>\n") + "</p>\n")
}

func (b *body) link(label, title, url string) {
	if url == "" {
		b.para(label + ": " + title)
		return
	}
	if b.text.Len() > 0 {
		b.text.WriteString("\n\n")
	}
	fmt.Fprintf(&b.text, "%s: %s\n%s", label, title, url)
	fmt.Fprintf(&b.html, "<p>%s: <a href=\"%s\">%s</a></p>\n", html.EscapeString(label), html.EscapeString(url), html.EscapeString(title))
}

// footer is the signature block: "-- " then small print.
func (b *body) footer(lines ...string) {
	var kept []string
	for _, l := range lines {
		if l != "" {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return
	}
	b.text.WriteString("\n\n-- \n" + strings.Join(kept, "\n"))
	b.html.WriteString(`<hr><p style="color:#555;font-size:small">`)
	for i, l := range kept {
		if i > 0 {
			b.html.WriteString("<br>\n")
		}
		b.html.WriteString(linkify(l))
	}
	b.html.WriteString("</p>\n")
}

// linkify escapes s and turns an http(s) URL at its end into a link (the
// privacy line).
func linkify(s string) string {
	i := strings.LastIndex(s, "https://")
	if i < 0 {
		i = strings.LastIndex(s, "http://")
	}
	if i < 0 || strings.ContainsAny(s[i:], " \t") {
		return html.EscapeString(s)
	}
	u := s[i:]
	return html.EscapeString(s[:i]) + `<a href="` + html.EscapeString(u) + `">` + html.EscapeString(u) + `</a>`
}

// botBody renders a bot message: the answer, numbered choices when it
// asks which service is meant, the source page, the channel's notes, and
// the footer with the AI disclosure and the privacy notice.
func (c *Channel) botBody(m conversation.Message, notes []string) (string, string) {
	t := textsFor(c.language(m.Language))
	var b body
	b.para(m.Text)
	if m.Decision != nil && m.Decision.Kind == dialog.KindClarify && len(m.QuickReplies) > 0 {
		var opts strings.Builder
		opts.WriteString(t.Options)
		for i, q := range m.QuickReplies {
			fmt.Fprintf(&opts, "\n%d. %s", i+1, q.Label)
		}
		b.para(opts.String())
	}
	for _, s := range m.Sources {
		if s.URL != "" {
			b.link(t.Source, s.Title, s.URL)
		}
	}
	for _, n := range notes {
		b.para(n)
	}
	b.footer(c.footer(t, true)...)
	return b.text.String(), b.html.String()
}

// footer: AI disclosure (bot mail only), how to reach a person, privacy.
func (c *Channel) footer(t texts, bot bool) []string {
	var lines []string
	if bot {
		lines = append(lines, fmt.Sprintf(t.Disclosure, c.o.CityName), t.Person)
	}
	if c.o.PrivacyURL != "" {
		lines = append(lines, fmt.Sprintf(t.Privacy, c.o.PrivacyURL))
	} else {
		lines = append(lines, t.PrivacyNoURL)
	}
	if days := int(c.o.Retention / (24 * time.Hour)); days > 0 {
		lines = append(lines, fmt.Sprintf(t.Retention, days))
	}
	return lines
}

// noticeBody is one of the channel's own notices (empty mail, daily
// limit), with the footer.
func (c *Channel) noticeBody(lang, text string) (string, string) {
	t := textsFor(c.language(lang))
	var b body
	b.para(text)
	b.footer(c.footer(t, true)...)
	return b.text.String(), b.html.String()
}

// staffBody is a caseworker's reply, signed with their name.
func (c *Channel) staffBody(lang, text, name string) (string, string) {
	t := textsFor(c.language(lang))
	var b body
	b.para(text)
	sig := t.Staff
	if name != "" {
		sig = fmt.Sprintf(t.StaffSignature, name, c.o.CityName)
	}
	b.para(sig)
	b.footer(c.footer(t, false)...)
	return b.text.String(), b.html.String()
}

// replySubject is "Re: <subject>", or a neutral subject for a mail
// without one.
func (c *Channel) replySubject(th *conversation.Thread, lang string) string {
	s := ""
	if th != nil {
		s = th.Subject
	}
	if s == "" {
		if c.language(lang) == "en" {
			return "Your enquiry to " + c.o.CityName
		}
		return "Ihre Anfrage an die Stadt " + c.o.CityName
	}
	return "Re: " + s
}

// bytes renders the mail: headers, then plain text and HTML as
// multipart/alternative, both UTF-8 quoted-printable.
func (o outMail) bytes(from *mail.Address) ([]byte, error) {
	var h mail.Header
	h.SetDate(o.Date)
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", []*mail.Address{{Address: o.To}})
	h.SetSubject(o.Subject)
	h.SetMessageID(o.MessageID)
	if o.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{o.InReplyTo})
	}
	if len(o.References) > 0 {
		h.SetMsgIDList("References", o.References)
	}
	if o.Auto {
		// RFC 3834: an automatic answer; mail programs and other robots
		// must not answer it.
		h.Set("Auto-Submitted", "auto-replied")
		// Exchange and Outlook: send no out-of-office reply to this.
		h.Set("X-Auto-Response-Suppress", "All")
	}
	if o.Language != "" {
		h.Set("Content-Language", o.Language)
	}
	var buf bytes.Buffer
	w, err := mail.CreateInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("email: write mail: %w", err)
	}
	for _, p := range []struct{ ct, body string }{{"text/plain", o.Text}, {"text/html", htmlDoc(o.Language, o.HTML)}} {
		var ph mail.InlineHeader
		ph.SetContentType(p.ct, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := w.CreatePart(ph)
		if err != nil {
			return nil, fmt.Errorf("email: write mail: %w", err)
		}
		if _, err := pw.Write([]byte(strings.ReplaceAll(p.body, "\n", "\r\n"))); err != nil {
			return nil, fmt.Errorf("email: write mail: %w", err)
		}
		if err := pw.Close(); err != nil {
			return nil, fmt.Errorf("email: write mail: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("email: write mail: %w", err)
	}
	return buf.Bytes(), nil
}

func htmlDoc(lang, inner string) string {
	if lang == "" {
		lang = "de"
	}
	return `<!DOCTYPE html><html lang="` + html.EscapeString(lang) + `"><head><meta charset="utf-8"></head><body style="font-family:sans-serif">` + "\n" + inner + "</body></html>\n"
}
