package telegram

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/telegramtest"
)

// splitSeeds are texts the splitter meets: the sample city's kind of
// answer, paragraphs, abbreviations, long words, emoji (two UTF-16 units),
// and broken variants (invalid UTF-8, only spaces, control characters).
var splitSeeds = []struct {
	text        string
	first, rest int
}{
	{"Der Personalausweis kostet 37,00 Euro, z. B. für Personen ab 24 Jahren. Er gilt 10 Jahre.", 40, 40},
	{"Satz eins.\n\nSatz zwei? Satz drei! „Zitat.“ Ende…", 12, 12},
	{"Öffnungszeiten: Mo–Fr 8–12 Uhr, Do 14–18 Uhr. Nr. 5, Str. 7, ca. 3 Wochen, vgl. § 3.", 20, 30},
	{strings.Repeat("x", 300), 100, 100},
	{strings.Repeat("😀", 90), 7, 5},
	{"a\xffb", 2, 2},
	{"\xff\xfe\xfd\xfc", 1, 1},
	{"😀\xf0\x9f\x98", 2, 1},
	{"   \t\n  ", 3, 3},
	{"", 1, 1},
	{"ab\u00a0cd\u2028ef\u3000gh", 3, 3},
	{"1. 2. 3. 4. 5. 6.", 4, 4},
	{"\x00\x01 \u202e evil \u202d", 4, 4},
}

// FuzzSplitText: the splitter never panics and always ends; every piece
// keeps within its limit (a limit below one character's width still makes
// progress), no piece is empty, the pieces come from the text in order at
// rune boundaries, and no non-space byte is lost or added.
func FuzzSplitText(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add(s.text, s.first, s.rest)
	}
	f.Fuzz(func(t *testing.T, text string, first, rest int) {
		// Limits as render uses them (a header shortens the first piece),
		// and tiny ones, where the edge cases are.
		first = 1 + abs(first)%4200
		rest = 1 + abs(rest)%4200
		pieces := splitText(text, first, rest)
		if len(pieces) == 0 {
			t.Fatal("no pieces")
		}
		if len(pieces) > len(text)+1 {
			t.Fatalf("%d pieces of a %d-byte text", len(pieces), len(text))
		}
		trimmed := strings.TrimSpace(text)
		if trimmed == "" {
			if len(pieces) != 1 || pieces[0] != "" {
				t.Fatalf("a blank text gave %q", pieces)
			}
			return
		}
		at := 0
		for i, p := range pieces {
			limit := rest
			if i == 0 {
				limit = first
			}
			if p == "" {
				t.Fatalf("piece %d of %q is empty: %q", i, text, pieces)
			}
			if n := textLen(p); n > max(limit, 2) {
				t.Errorf("piece %d has %d characters, limit %d", i, n, limit)
			}
			k := strings.Index(text[at:], p)
			if k < 0 {
				t.Fatalf("piece %d %q is not in the text after byte %d", i, p, at)
			}
			start := at + k
			if !utf8.ValidString(text) {
				// Pieces cut inside a valid rune would turn valid runes
				// into invalid ones: compare the invalid bytes kept.
				if countInvalid(p) > countInvalid(text[start:start+len(p)]) {
					t.Errorf("piece %d adds invalid bytes", i)
				}
			} else if !utf8.ValidString(p) {
				t.Errorf("piece %d of a valid text is not valid UTF-8: %q", i, p)
			}
			at = start + len(p)
		}
		var kept strings.Builder // piece by piece: joining could make a rune of two broken ones
		for _, p := range pieces {
			kept.WriteString(nonSpace(p))
		}
		if got, want := kept.String(), nonSpace(text); got != want {
			t.Errorf("text changed:\n got %q\nwant %q", got, want)
		}
	})
}

// FuzzRender: every message civibot renders is one Telegram accepts —
// the HTML parses as strictly as Telegram parses it, every chunk is within
// 4,096 characters — and reads as written: parsing a chunk's HTML gives its
// plain text (render → parse round trip), and the message's words all
// arrive. Callback data reads back as written.
func FuzzRender(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, s, "Musterstadt", s, "https://www.musterstadt.example/leistung?a=1&b=2", int64(3), s)
	}
	f.Add(strings.Repeat("Der Antrag kostet 37 Euro. ", 400), "Anna Berger", "Musterstadt", "Personalausweis", "https://www.musterstadt.example/pa", int64(1), "Termin buchen")
	f.Add("a\xffb <b>\xff</b>", "\xff", "\xfe", "\xfd", "http://\xff", int64(-1), "\xff")
	f.Add("", "", "", "", "", int64(0), "")
	f.Add(strings.Repeat("😀", 3000), strings.Repeat("N", 300), "", "", "javascript:alert(1)", int64(99999999999), strings.Repeat("ß", 100))
	f.Fuzz(func(t *testing.T, text, author, city, title, link string, seq int64, reply string) {
		m := conversation.Message{
			Seq: seq, Text: text,
			QuickReplies: []conversation.QuickReply{{Label: reply, Payload: reply}, {Payload: title}},
		}
		if title != "" || link != "" {
			m.Sources = []conversation.Source{{Title: title, URL: link}}
		}
		// Display names are limited when accounts are made; the city's
		// name is a short configured word.
		author, city = cut(author, 200), cut(city, 100)
		for _, role := range []string{conversation.RoleBot, conversation.RoleCaseworker, conversation.RoleSystem} {
			m.Role = role
			for i, c := range render(m, author, city, textsDE) {
				shown, err := telegramtest.ParseHTML(c.html)
				if err != nil {
					t.Fatalf("%s chunk %d: Telegram would refuse it: %v\n%q", role, i, err, c.html)
				}
				if n := telegramtest.Len(shown); n > maxMessageChars {
					t.Errorf("%s chunk %d: %d characters shown", role, i, n)
				}
				if n := telegramtest.Len(c.plain); n > maxMessageChars {
					t.Errorf("%s chunk %d: plain text of %d characters", role, i, n)
				}
				if len(m.Sources) == 0 && shown != c.plain {
					t.Errorf("%s chunk %d: the HTML reads %q, the plain text %q", role, i, shown, c.plain)
				}
				if c.keyboard != nil {
					for _, row := range c.keyboard.InlineKeyboard {
						for _, b := range row {
							if b.CallbackData == nil || len(*b.CallbackData) > 64 {
								t.Fatalf("callback data %v", b.CallbackData)
							}
							s, k, ok := parseCallbackData(*b.CallbackData)
							if !ok || s != seq || k < 0 || k >= len(m.QuickReplies) {
								t.Errorf("callback data %q reads back as %d, %d, %v", *b.CallbackData, s, k, ok)
							}
						}
					}
				}
			}
		}
		// The bot's own message: the words of the text all arrive.
		m.Role, m.Sources = conversation.RoleBot, nil
		var all strings.Builder
		for _, c := range render(m, "", "", textsDE) {
			all.WriteString(c.plain)
		}
		if got, want := nonSpace(all.String()), nonSpace(strings.ToValidUTF8(text, "\uFFFD")); got != want {
			t.Errorf("the text changed:\n got %q\nwant %q", got, want)
		}
		_, _, _ = parseCallbackData(reply) // anything a client sends back
	})
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func abs(n int) int {
	if n < 0 {
		return -(n + 1) // no overflow at math.MinInt
	}
	return n
}

// nonSpace is s without white space (decoded rune by rune; invalid bytes
// are kept as they are).
func nonSpace(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func countInvalid(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n++
		}
		i += size
	}
	return n
}
