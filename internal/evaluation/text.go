package evaluation

import (
	"strings"
	"unicode"
)

// normText makes texts comparable for "is this sentence shown": lower
// case, list bullets and punctuation dropped, white space collapsed. A
// sentence counts as shown when its normalised form occurs in the
// normalised text shown.
func normText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		case r == '€' || r == '%' || r == '@':
			b.WriteRune(r)
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// contains reports whether the normalised needle occurs in the normalised
// haystack at word boundaries. An empty needle (a line of punctuation only)
// counts as shown.
func contains(haystack, needle string) bool {
	if needle == "" {
		return true
	}
	for i := 0; ; {
		j := strings.Index(haystack[i:], needle)
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(needle)
		if (at == 0 || haystack[at-1] == ' ') && (end == len(haystack) || haystack[end] == ' ') {
			return true
		}
		i = at + 1
	}
}
