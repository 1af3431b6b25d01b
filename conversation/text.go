package conversation

import (
	"strings"
	"unicode/utf8"
)

// CleanText neutralises what could make stored text show as something it
// is not (issue 21.11): control characters other than newline and tab
// are removed (CR LF and a lone CR become a newline, U+2028/U+2029 too),
// bidirectional embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069) are removed, so that a citizen cannot make a queue excerpt
// read backwards, and invalid UTF-8 becomes U+FFFD. Letters, emoji
// (joiners included) and the direction marks of right-to-left languages
// (U+200E, U+200F, U+061C) are kept. Every store applies it to
// Message.Text on Append.
func CleanText(s string) string {
	if cleanAlready(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\r':
			b.WriteByte('\n')
			if i < len(s) && s[i] == '\n' {
				i++
			}
		case r == '\u2028' || r == '\u2029':
			b.WriteByte('\n')
		case dropped(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dropped reports the runes CleanText removes.
func dropped(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// cleanAlready is the fast path: nothing to change.
func cleanAlready(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\r' || r == '\u2028' || r == '\u2029' || dropped(r) {
			return false
		}
	}
	return true
}
