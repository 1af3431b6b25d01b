package knowledge

import (
	"strings"
	"unicode/utf8"
)

// A page is indexed as chunks: one per section, long sections split at
// paragraph, line or sentence boundaries. Every chunk is indexed and
// embedded together with its page's title and keywords, so a chunk about
// fees still belongs to "Personalausweis beantragen".

const (
	maxChunkChars = 900 // a section longer than this is split
	minChunkChars = 200 // pieces shorter than this are joined to a neighbour
)

// chunk is one indexed piece of a page.
type chunk struct {
	Page    int32 // index into the KB's pages
	Section int32 // index into the page's sections; -1 for a page without sections
	Start   int32 // byte range of the chunk in the section text
	End     int32
}

// chunkPage returns the chunks of page p (index pi).
func chunkPage(pi int, p *Page) []chunk {
	var out []chunk
	for si, s := range p.Sections {
		for _, r := range splitText(s.Text, maxChunkChars) {
			out = append(out, chunk{Page: int32(pi), Section: int32(si), Start: int32(r[0]), End: int32(r[1])})
		}
	}
	if len(out) == 0 {
		out = append(out, chunk{Page: int32(pi), Section: -1})
	}
	return out
}

// chunkSeps are the boundaries a long section is split at, coarsest first.
var chunkSeps = [][]string{{"\n\n"}, {"\n"}, {". ", "! ", "? ", "; "}, {" "}}

// splitText splits text into byte ranges of at most max characters,
// preferring paragraph breaks, then line breaks, then sentence ends, then
// spaces. Empty text yields no range; surrounding space is trimmed from
// every range.
func splitText(text string, max int) [][2]int {
	s, e := trimRange(text, 0, len(text))
	if s >= e {
		return nil
	}
	return joinShort(text, splitRange(text, s, e, max, 0), max)
}

// splitRange splits text[s:e] using the separators from chunkSeps[level] on.
func splitRange(text string, s, e, max, level int) [][2]int {
	if utf8.RuneCountInString(text[s:e]) <= max {
		return [][2]int{{s, e}}
	}
	for ; level < len(chunkSeps); level++ {
		pieces := splitAtSeps(text, s, e, chunkSeps[level])
		if len(pieces) < 2 {
			continue
		}
		// Pack pieces greedily up to max; a piece that alone is too long is
		// split at the next finer separator.
		var out [][2]int
		cur := [2]int{-1, -1}
		flush := func() {
			if cur[0] >= 0 {
				out = append(out, cur)
				cur = [2]int{-1, -1}
			}
		}
		for _, pc := range pieces {
			if utf8.RuneCountInString(text[pc[0]:pc[1]]) > max {
				flush()
				out = append(out, splitRange(text, pc[0], pc[1], max, level+1)...)
				continue
			}
			if cur[0] >= 0 && utf8.RuneCountInString(text[cur[0]:pc[1]]) > max {
				flush()
			}
			if cur[0] < 0 {
				cur = pc
			} else {
				cur[1] = pc[1]
			}
		}
		flush()
		return out
	}
	// No separator at all: cut at rune boundaries.
	var out [][2]int
	for a := s; a < e; {
		b := a
		for n := 0; b < e && n < max; n++ {
			_, size := utf8.DecodeRuneInString(text[b:])
			b += size
		}
		out = append(out, [2]int{a, b})
		a = b
	}
	return out
}

// splitAtSeps splits text[start:end] after each separator, trimming space.
func splitAtSeps(text string, start, end int, seps []string) [][2]int {
	var out [][2]int
	s := start
	for i := start; i < end; {
		matched := 0
		for _, sep := range seps {
			if strings.HasPrefix(text[i:end], sep) {
				matched = len(sep)
				break
			}
		}
		if matched == 0 {
			i++
			continue
		}
		if a, b := trimRange(text, s, i+matched); a < b {
			out = append(out, [2]int{a, b})
		}
		i += matched
		s = i
	}
	if a, b := trimRange(text, s, end); a < b {
		out = append(out, [2]int{a, b})
	}
	return out
}

// joinShort merges a range shorter than minChunkChars into its predecessor
// when the result stays within max plus a quarter.
func joinShort(text string, rs [][2]int, max int) [][2]int {
	var out [][2]int
	for _, r := range rs {
		n := utf8.RuneCountInString(text[r[0]:r[1]])
		if len(out) > 0 && n < minChunkChars {
			last := &out[len(out)-1]
			if utf8.RuneCountInString(text[last[0]:r[1]]) <= max+max/4 {
				last[1] = r[1]
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// trimRange narrows [s, e) of text to exclude surrounding white space.
func trimRange(text string, s, e int) (int, int) {
	for s < e && isSpaceByte(text[s]) {
		s++
	}
	for e > s && isSpaceByte(text[e-1]) {
		e--
	}
	return s, e
}

func isSpaceByte(b byte) bool {
	return b == ' ' || b == '\n' || b == '\t' || b == '\r'
}
