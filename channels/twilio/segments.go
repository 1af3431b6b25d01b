package twilio

import (
	"strings"
	"unicode/utf8"
)

// Encoding is how an SMS is encoded on the air.
type Encoding string

// SMS encodings. A message is GSM-7 when every character is in the GSM
// 03.38 default alphabet or its extension table, else UCS-2.
const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// Segment sizes: one SMS holds 160 GSM-7 characters or 70 UCS-2 code units;
// a longer message is split into parts of 153 or 67 (the rest of each part
// carries the header that joins them on the phone).
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// gsmBasic is the GSM 03.38 default alphabet (one septet each), without the
// escape code.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension are the characters of the extension table: an escape plus
// one septet, so they count as two.
const gsmExtension = "^{}\\[~]|€\f"

// gsmCost is the septets r takes in GSM-7, 0 when it has none.
func gsmCost(r rune) int {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ':
		return 1
	case strings.ContainsRune(gsmExtension, r):
		return 2
	case strings.ContainsRune(gsmBasic, r):
		return 1
	}
	return 0
}

// Estimate is how a text would travel as SMS.
type Estimate struct {
	Encoding Encoding
	// Units: septets for GSM-7 (extension characters count 2), UTF-16 code
	// units for UCS-2 (characters outside the BMP, such as emoji, count 2).
	Units int
	// Segments is what the carrier bills; 0 for an empty text.
	Segments int
}

// EstimateSegments tells how many SMS segments text needs. Parts are
// filled the way phones and Twilio do: an extension character's two
// septets, and a surrogate pair, are never split across parts.
func EstimateSegments(text string) Estimate {
	enc := GSM7
	for _, r := range text {
		if gsmCost(r) == 0 {
			enc = UCS2
			break
		}
	}
	cost := func(r rune) int {
		if enc == GSM7 {
			return gsmCost(r)
		}
		if r > 0xFFFF {
			return 2
		}
		return 1
	}
	single, part := gsmSingle, gsmPart
	if enc == UCS2 {
		single, part = ucs2Single, ucs2Part
	}
	units := 0
	for _, r := range text {
		units += cost(r)
	}
	e := Estimate{Encoding: enc, Units: units}
	switch {
	case units == 0:
		return e
	case units <= single:
		e.Segments = 1
		return e
	}
	e.Segments = 1
	used := 0
	for _, r := range text {
		c := cost(r)
		if used+c > part {
			e.Segments++
			used = 0
		}
		used += c
	}
	return e
}

// foldGSM replaces typographic characters the bot and caseworkers write
// with their GSM-7 look-alikes, so a German or English text stays GSM-7
// (160 characters per SMS instead of 70). Twilio calls this Smart Encoding.
func foldGSM(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range text {
		switch r {
		case '–', '—', '‑', '−', '•', '·':
			b.WriteByte('-')
		case '„', '“', '”', '‟', '«', '»':
			b.WriteByte('"')
		case '‚', '‘', '’', '‛', '‹', '›', '´', '`':
			b.WriteByte('\'')
		case '…':
			b.WriteString("...")
		case '\u00a0', '\u202f', '\u2009', '\t':
			b.WriteByte(' ')
		case '\u200b', '\u00ad':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fitSMS builds "prefix\nbody\nlink" within maxSegments, shortening the
// body at a word boundary ("...") when it is too long. The prefix (the AI
// disclosure) and the link are kept whole; if even they do not fit, the
// link alone is sent, and failing that the text is cut hard.
func fitSMS(prefix, body, link string, maxSegments int) string {
	prefix, body, link = foldGSM(prefix), foldGSM(strings.TrimSpace(body)), foldGSM(link)
	join := func(b string) string {
		parts := make([]string, 0, 3)
		for _, p := range []string{prefix, b, link} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		return strings.Join(parts, "\n")
	}
	fits := func(s string) bool { return EstimateSegments(s).Segments <= maxSegments }
	if full := join(body); fits(full) {
		return full
	}
	runes := []rune(body)
	// The longest cut that fits: cutting shorter never needs more segments,
	// so search the cut length.
	lo, hi := 0, len(runes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(join(shorten(runes, mid))) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo > 0 {
		if s := join(shorten(runes, lo)); fits(s) {
			return s
		}
	}
	if s := join(""); fits(s) {
		return s
	}
	if fits(link) && link != "" {
		return link
	}
	all := []rune(join(body))
	lo, hi = 0, len(all)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(string(all[:mid])) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(all[:lo])
}

// shorten cuts runes to at most n characters including the "..." it adds,
// at the last word boundary; "" when nothing sensible is left.
func shorten(runes []rune, n int) string {
	const ellipsis = "..."
	if n >= len(runes) {
		return string(runes)
	}
	if n <= len(ellipsis) {
		return ""
	}
	cut := string(runes[:n-len(ellipsis)])
	if i := strings.LastIndexAny(cut, " \n"); i > 0 {
		cut = cut[:i]
	}
	cut = strings.TrimRight(cut, " \n,;:-(")
	if cut == "" || !utf8.ValidString(cut) {
		return ""
	}
	return cut + ellipsis
}
