package email

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // ISO-8859-x, Windows-125x, KOI8, GB18030, …
	"github.com/emersion/go-message/mail"
)

// Limits of reading one mail. A mail may be large (scans attached); only
// its text is kept, attachments are read through to count their size.
const (
	maxHeaderBytes = 256 << 10
	// maxTextBytes bounds each text part kept (a letter is a few KB).
	maxTextBytes = 512 << 10
	// maxParts bounds the parts walked (a MIME bomb of nested parts).
	maxParts = 200
	// maxRefs bounds the message ids kept from References.
	maxRefs = 20
)

// inbound is one parsed mail.
type inbound struct {
	From       string // the sender's address, as written (compared case-insensitively)
	FromName   string
	ReplyTo    string // Reply-To address, if any
	Subject    string
	MessageID  string   // without angle brackets; "" when missing or malformed
	InReplyTo  []string // without angle brackets
	References []string // oldest first, without angle brackets
	Date       time.Time
	Language   string // Content-Language, if given

	// Text is the readable body: the text/plain part, else the HTML part as
	// text. Quotes and signatures are not yet removed.
	Text     string
	HTMLOnly bool
	// Attachments are listed, not read.
	Attachments []attachment
	// Broken says what could not be read (malformed MIME, an unknown
	// charset); the rest of the mail was used.
	Broken []string

	header mail.Header
}

type attachment struct {
	Name string
	Type string
	Size int64
}

// errNoSender: the mail has no usable From address.
var errNoSender = errors.New("email: no sender address")

// parse reads a whole mail from r. It only fails when the header cannot be
// read at all or names no sender; a malformed body gives what could be read
// and notes the damage in Broken.
func parse(r io.Reader) (*inbound, error) {
	br := bufio.NewReaderSize(r, 32<<10)
	e, err := message.ReadWithOptions(br, &message.ReadOptions{MaxHeaderBytes: maxHeaderBytes})
	in := &inbound{}
	if err != nil {
		if e == nil || !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return nil, fmt.Errorf("email: read header: %w", err)
		}
		in.Broken = append(in.Broken, err.Error())
	}
	mr := mail.NewReader(e)
	in.header = mr.Header
	if err := in.readHeader(); err != nil {
		_, _ = io.Copy(io.Discard, br)
		return in, err
	}
	var plain, html strings.Builder
	for parts := 0; ; parts++ {
		if parts == maxParts {
			in.Broken = append(in.Broken, fmt.Sprintf("more than %d parts; the rest was not read", maxParts))
			break
		}
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && p == nil {
			in.Broken = append(in.Broken, "malformed MIME structure: "+err.Error())
			break
		}
		if err != nil {
			in.Broken = append(in.Broken, err.Error())
		}
		in.readPart(p, &plain, &html)
	}
	// What follows a broken structure is not read; drain it so the server
	// connection stays usable.
	_, _ = io.Copy(io.Discard, br)
	switch {
	case strings.TrimSpace(plain.String()) != "":
		in.Text = plain.String()
	case strings.TrimSpace(html.String()) != "":
		in.Text = htmlToText(html.String())
		in.HTMLOnly = true
	}
	in.Text = strings.ToValidUTF8(strings.ReplaceAll(in.Text, "\r\n", "\n"), "\uFFFD")
	return in, nil
}

func (in *inbound) readHeader() error {
	h := &in.header
	from, err := h.AddressList("From")
	if err != nil || len(from) == 0 {
		// A From that go-message cannot parse may still hold one address.
		if a := lenientAddress(h.Get("From")); a != "" {
			in.From = a
		} else {
			return errNoSender
		}
	} else {
		in.From, in.FromName = from[0].Address, from[0].Name
	}
	if rt, err := h.AddressList("Reply-To"); err == nil && len(rt) > 0 {
		in.ReplyTo = rt[0].Address
	}
	if s, err := h.Subject(); err == nil {
		in.Subject = strings.TrimSpace(s)
	} else {
		in.Subject = strings.TrimSpace(h.Get("Subject"))
	}
	if id, err := h.MessageID(); err == nil {
		in.MessageID = id
	}
	if ids, err := h.MsgIDList("In-Reply-To"); err == nil {
		in.InReplyTo = ids
	}
	if ids, err := h.MsgIDList("References"); err == nil {
		if len(ids) > maxRefs {
			// Keep the root and the latest ones.
			ids = append(ids[:1:1], ids[len(ids)-maxRefs+1:]...)
		}
		in.References = ids
	}
	if d, err := h.Date(); err == nil {
		in.Date = d
	}
	if l := strings.ToLower(strings.TrimSpace(h.Get("Content-Language"))); l != "" {
		in.Language, _, _ = strings.Cut(l, "-")
	}
	return nil
}

// readPart keeps a text part or lists an attachment.
func (in *inbound) readPart(p *mail.Part, plain, html *strings.Builder) {
	switch h := p.Header.(type) {
	case *mail.InlineHeader:
		ct, _, _ := h.ContentType()
		switch ct {
		case "text/plain", "":
			appendText(in, plain, p.Body)
			return
		case "text/html":
			appendText(in, html, p.Body)
			return
		}
		in.attach(h.Header, "", ct, p.Body)
	case *mail.AttachmentHeader:
		ct, _, _ := h.ContentType()
		name, _ := h.Filename()
		in.attach(h.Header, name, ct, p.Body)
	}
}

func appendText(in *inbound, b *strings.Builder, body io.Reader) {
	lr := &io.LimitedReader{R: body, N: maxTextBytes}
	data, err := io.ReadAll(lr)
	if err != nil {
		in.Broken = append(in.Broken, "text part: "+err.Error())
	}
	if lr.N == 0 {
		in.Broken = append(in.Broken, fmt.Sprintf("text part longer than %d bytes; the rest was not read", maxTextBytes))
	}
	_, _ = io.Copy(io.Discard, body)
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	if !utf8.Valid(data) {
		data = []byte(strings.ToValidUTF8(string(data), "\uFFFD"))
	}
	b.Write(data)
}

func (in *inbound) attach(h message.Header, name, ct string, body io.Reader) {
	if name == "" {
		_, params, _ := h.ContentType()
		name = params["name"]
		if name != "" {
			if dec, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
				name = dec
			}
		}
	}
	n, _ := io.Copy(io.Discard, body)
	if ct == "" {
		ct = "application/octet-stream"
	}
	in.Attachments = append(in.Attachments, attachment{Name: cleanName(name), Type: ct, Size: n})
}

// cleanName keeps a file name fit to show: no paths, no control
// characters, at most 100 characters.
func cleanName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100]) + "…"
	}
	return s
}

// lenientAddress finds addr-spec in a From header go-message refused
// ("Name <a@b>" with odd quoting, a bare address).
func lenientAddress(s string) string {
	if i, j := strings.LastIndex(s, "<"), strings.LastIndex(s, ">"); i >= 0 && j > i {
		s = s[i+1 : j]
	}
	s = strings.TrimSpace(s)
	if strings.Count(s, "@") != 1 || strings.ContainsAny(s, " \t,;<>\"") {
		return ""
	}
	return s
}

// header returns a raw header value (for the loop checks).
func (in *inbound) get(key string) string { return in.header.Get(key) }
