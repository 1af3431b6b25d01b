package telegram

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/telegramtest"
)

// hostile texts: markup of every parse mode, entities, stray brackets.
var hostile = []string{
	`<b>Gebühren & "Kosten"</b>`,
	`*_fett_* __unter__ ~durch~ ||spoiler|| [Link](https://evil.example) ` + "`code`",
	`</a><a href="javascript:alert(1)">klick</a>`,
	`Tom & Jerry &amp; &lt;script&gt; &#60; &unknown; & ; &`,
	`a < b > c <<>> <3 <tg-spoiler>`,
	`Straße_Nr_5 *Öffnungszeiten* 50% Rabatt \ ' "`,
}

func TestRenderEscapes(t *testing.T) {
	for i, s := range hostile {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			m := conversation.Message{
				Seq: 3, Role: conversation.RoleBot, Text: "Antwort zu " + s,
				Sources: []conversation.Source{
					{Title: s, URL: `https://www.musterstadt.example/leistung?a=1&b="2"<x>`},
					{Title: s, URL: "javascript:alert(1)"},
				},
				QuickReplies: []conversation.QuickReply{{Label: s, Payload: s}},
			}
			for _, role := range []string{conversation.RoleBot, conversation.RoleCaseworker, conversation.RoleSystem} {
				m.Role = role
				chunks := render(m, s, s, textsDE)
				if len(chunks) != 1 {
					t.Fatalf("%s: %d chunks", role, len(chunks))
				}
				plain, err := telegramtest.ParseHTML(chunks[0].html)
				if err != nil {
					t.Fatalf("%s: Telegram would refuse it: %v\n%s", role, err, chunks[0].html)
				}
				if !strings.Contains(plain, "Antwort zu "+s) || !strings.Contains(plain, "🔗 Quelle: "+s) {
					t.Errorf("%s: the text does not read as written:\n%s", role, plain)
				}
				if role == conversation.RoleCaseworker && !strings.HasPrefix(plain, "👤 "+s+" (Stadt "+s+"):\n") {
					t.Errorf("caseworker header: %q", plain)
				}
				if strings.Contains(chunks[0].html, `<a href="javascript`) {
					t.Errorf("a javascript: URL became a link: %s", chunks[0].html)
				}
				if strings.Count(chunks[0].html, "<a href=") != 1 {
					t.Errorf("want exactly one link: %s", chunks[0].html)
				}
			}
		})
	}
	// The link's target is the URL, intact once Telegram decodes it.
	m := conversation.Message{Role: conversation.RoleBot, Text: "x", Sources: []conversation.Source{{Title: "T", URL: `https://a.example/?q=1&r="2"`}}}
	html := render(m, "", "", textsDE)[0].html
	href := regexp.MustCompile(`href="([^"]*)"`).FindStringSubmatch(html)
	if href == nil {
		t.Fatalf("no link in %s", html)
	}
	if got, _ := telegramtest.ParseHTML(href[1]); got != `https://a.example/?q=1&r="2"` {
		t.Errorf("href decodes to %q", got)
	}
}

// TestHostileTitlesEndToEnd: answers whose sources and caseworker names
// carry markup go through the real client to the fake, which parses the
// HTML as strictly as Telegram.
func TestHostileTitlesEndToEnd(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	id := conversation.TelegramID([]byte(testIDKey), erika)
	h.deliver(textUpdate(3000, erika, "de", "Was kostet ein Personalausweis?"))
	c, _, err := h.conversation(erika)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range hostile {
		m, _, err := h.store.Append(ctx, id, conversation.Message{Role: conversation.RoleBot, Text: s,
			Sources: []conversation.Source{{Title: s, URL: "https://www.musterstadt.example/x?a=1&b=2"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.ch.Send(ctx, c, m); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if _, err := h.accounts.AddUser(ctx, fmt.Sprintf("cw%d", m.Seq), s, "caseworker", "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		if err := h.ch.Send(ctx, c, conversation.Message{Role: conversation.RoleCaseworker, Author: fmt.Sprintf("cw%d", m.Seq), Text: s}); err != nil {
			t.Fatalf("caseworker named %q: %v", s, err)
		}
	}
	sent := h.fake.SentTo(erika)
	if len(sent) != 1+2*len(hostile) {
		t.Fatalf("%d messages", len(sent))
	}
	for i, s := range hostile {
		bot, cw := sent[1+2*i], sent[2+2*i]
		if bot.ParseMode != "HTML" || !strings.HasPrefix(bot.Plain, s+"\n\n🔗 Quelle: "+s) {
			t.Errorf("bot message reads %q", bot.Plain)
		}
		if cw.Plain != "👤 "+s+" (Stadt Musterstadt):\n"+s {
			t.Errorf("caseworker message reads %q", cw.Plain)
		}
	}
}

func TestSplitText(t *testing.T) {
	sentence := "Der Personalausweis kostet 37,00 Euro, z. B. für Personen ab 24 Jahren. "
	long := strings.TrimSpace(strings.Repeat(sentence, 150)) // ~11,000 characters
	tests := []struct {
		name       string
		text       string
		first      int
		rest       int
		sentences  bool // every piece but the last ends a sentence
		wantPieces int
	}{
		{"short", "Kurz.", 100, 100, true, 1},
		{"sentences", long, chunkChars, chunkChars, true, 3},
		{"smaller first piece", long, 1000, chunkChars, true, 4},
		{"paragraphs", strings.Repeat(strings.Repeat("Satz eins ist hier. ", 30)+"\n\n", 20), chunkChars, chunkChars, true, 4},
		{"one huge word", strings.Repeat("x", 9000), chunkChars, chunkChars, false, 3},
		{"emoji count twice", strings.Repeat("😀", 5000), chunkChars, chunkChars, false, 3},
		{"lines", strings.Repeat("• Personalausweis beantragen\n", 400), chunkChars, chunkChars, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pieces := splitText(tt.text, tt.first, tt.rest)
			if len(pieces) != tt.wantPieces {
				t.Errorf("%d pieces, want %d", len(pieces), tt.wantPieces)
			}
			for i, p := range pieces {
				limit := tt.rest
				if i == 0 {
					limit = tt.first
				}
				if n := textLen(p); n > limit || n == 0 {
					t.Errorf("piece %d has %d characters (limit %d)", i, n, limit)
				}
				if !utf8.ValidString(p) {
					t.Errorf("piece %d is not valid UTF-8", i)
				}
				if tt.sentences && i < len(pieces)-1 && !strings.HasSuffix(p, ".") {
					t.Errorf("piece %d does not end a sentence: …%q", i, p[max(0, len(p)-30):])
				}
				if strings.HasSuffix(p, " z.") {
					t.Errorf("piece %d ends at the abbreviation z. B.", i)
				}
			}
			if strings.Join(strings.Fields(strings.Join(pieces, " ")), " ") != strings.Join(strings.Fields(tt.text), " ") &&
				strings.Join(pieces, "") != tt.text {
				t.Error("the pieces do not add up to the text")
			}
		})
	}
}

// TestLongMessage: an answer over Telegram's limit arrives in several
// messages, each under the limit, with the sources and the buttons on
// the last.
func TestLongMessage(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ctx := context.Background()
	id := conversation.TelegramID([]byte(testIDKey), erika)
	h.deliver(textUpdate(3100, erika, "de", "Was kostet ein Personalausweis?"))
	c, _, _ := h.conversation(erika)
	text := strings.TrimSpace(strings.Repeat("Bitte bringen Sie Ihren alten Ausweis mit & ein biometrisches Passfoto <35×45 mm>. ", 120))
	m, _, err := h.store.Append(ctx, id, conversation.Message{Role: conversation.RoleBot, Text: text,
		Sources:      []conversation.Source{{Title: "Personalausweis beantragen", URL: "https://www.musterstadt.example/personalausweis"}},
		QuickReplies: []conversation.QuickReply{{Label: "Was kostet das?", Payload: "Was kostet das?"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ch.Send(ctx, c, m); err != nil {
		t.Fatal(err)
	}
	sent := h.fake.SentTo(erika)[1:]
	if len(sent) != 3 {
		t.Fatalf("%d messages for %d characters", len(sent), textLen(text))
	}
	var all []string
	for i, s := range sent {
		if telegramtest.Len(s.Plain) > maxMessageChars {
			t.Errorf("message %d has %d characters", i, telegramtest.Len(s.Plain))
		}
		last := i == len(sent)-1
		if hasLink := strings.Contains(s.Plain, "🔗 Quelle"); hasLink != last {
			t.Errorf("message %d: source link %v", i, hasLink)
		}
		if (s.Markup != nil) != last {
			t.Errorf("message %d: buttons %v", i, s.Markup != nil)
		}
		body, _, _ := strings.Cut(s.Plain, "\n\n🔗")
		if !strings.HasSuffix(body, ".") {
			t.Errorf("message %d is not cut at a sentence end: …%q", i, body[max(0, len(body)-20):])
		}
		all = append(all, body)
	}
	if strings.Join(all, " ") != text {
		t.Error("the messages do not add up to the answer")
	}
}

func TestCallbackData(t *testing.T) {
	for _, tt := range []struct {
		seq int64
		i   int
	}{{1, 0}, {42, 9}, {1 << 62, 3}} {
		d := callbackData(tt.seq, tt.i)
		if len(d) > 64 {
			t.Errorf("%q is %d bytes", d, len(d))
		}
		seq, i, ok := parseCallbackData(d)
		if !ok || seq != tt.seq || i != tt.i {
			t.Errorf("%q reads back as %d %d %v", d, seq, i, ok)
		}
	}
	for _, bad := range []string{"", "q:", "q:1", "q:x:1", "q:1:x", "q:0:0", "q:-1:0", "q:1:-1", "q:1:10", "x:1:1", "q:1:1:1"} {
		if _, _, ok := parseCallbackData(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text, cmd, target string
		ok                bool
	}{
		{"/start", "start", "", true},
		{"/start abc", "start", "", true},
		{"/Start@Musterstadt_Bot", "start", "Musterstadt_Bot", true},
		{"/human\nbitte", "human", "", true},
		{"/", "", "", false},
		{"/ start", "", "", false},
		{"/usr/bin", "", "", false},
		{"start", "", "", false},
		{"/ä", "", "", false},
	}
	for _, tt := range tests {
		cmd, target, ok := parseCommand(tt.text)
		if cmd != tt.cmd || target != tt.target || ok != tt.ok {
			t.Errorf("parseCommand(%q) = %q %q %v", tt.text, cmd, target, ok)
		}
	}
}
