package knowledge

import "strings"

// British and American spellings of one English word ("labour" / "labor",
// "centre" / "center", "counselling" / "counseling", "organise" /
// "organize", "licence" / "license", "programme" / "program"): a city's
// English pages are usually written in one, its citizens ask in both.
// spellingVariants returns the other spellings of a word by the regular
// correspondences; the analyzer searches those the pages hold alongside
// the word (an unknown spelling is no word), so the rules may propose
// more than exists.

// spellingSwap is one correspondence: from becomes to where it ends the
// word or is followed by one of the endings; at least minBefore letters
// come before it.
type spellingSwap struct {
	from, to  string
	minBefore int
	endings   []string
}

var (
	endingsOur = []string{"", "s", "ed", "ing", "ite", "ites", "able", "ably", "ful", "er", "ers", "hood", "hoods", "less", "al"}
	endingsRe  = []string{"", "s", "d"}
	endingsIse = []string{"", "s", "d", "r", "rs"}
	endingsLL  = []string{"ing", "ed", "or", "ors", "er", "ers"}
	endingsEnc = []string{"", "s", "d"}
	endingsPrg = []string{"", "s"}
)

var spellingSwaps = []spellingSwap{
	{"our", "or", 3, endingsOur}, {"or", "our", 3, endingsOur},
	{"tre", "ter", 2, endingsRe}, {"ter", "tre", 2, endingsRe},
	{"bre", "ber", 2, endingsRe}, {"ber", "bre", 2, endingsRe},
	{"isation", "ization", 2, endingsPrg}, {"ization", "isation", 2, endingsPrg},
	{"ise", "ize", 3, endingsIse}, {"ize", "ise", 3, endingsIse},
	{"ising", "izing", 3, []string{""}}, {"izing", "ising", 3, []string{""}},
	{"yse", "yze", 2, endingsIse}, {"yze", "yse", 2, endingsIse},
	{"ll", "l", 3, endingsLL}, {"l", "ll", 3, endingsLL},
	{"lment", "llment", 3, endingsPrg}, {"llment", "lment", 3, endingsPrg},
	{"ence", "ense", 2, endingsEnc}, {"ense", "ence", 2, endingsEnc},
	{"programme", "program", 0, endingsPrg}, {"program", "programme", 0, endingsPrg},
	{"ogue", "og", 3, endingsPrg}, {"og", "ogue", 3, endingsPrg},
	{"paed", "ped", 0, nil}, {"anaest", "anest", 0, nil}, {"haem", "hem", 0, nil},
}

// spellingPairs are words the rules above do not reach.
var spellingPairs = map[string]string{
	"mould": "mold", "mold": "mould", "moulds": "molds", "molds": "moulds", "mouldy": "moldy", "moldy": "mouldy",
	"grey": "gray", "gray": "grey",
	"enquiry": "inquiry", "inquiry": "enquiry", "enquiries": "inquiries", "inquiries": "enquiries",
	"judgement": "judgment", "judgment": "judgement",
	"ageing": "aging", "aging": "ageing",
	"fulfil": "fulfill", "fulfill": "fulfil",
	"cheque": "check", "cheques": "checks",
	"pyjamas": "pajamas", "pajamas": "pyjamas",
	"sceptical": "skeptical", "skeptical": "sceptical",
	"aluminium": "aluminum", "aluminum": "aluminium",
	"plough": "plow", "plow": "plough",
}

// spellingVariants returns the other regular spellings of a lower-case
// English word (nil: none).
func spellingVariants(w string) []string {
	var out []string
	if v, ok := spellingPairs[w]; ok {
		out = append(out, v)
	}
	for _, s := range spellingSwaps {
		if s.endings == nil {
			// A prefix swap: "paediatric" → "pediatric".
			if strings.HasPrefix(w, s.from) && len(w) > len(s.from)+2 {
				out = append(out, s.to+w[len(s.from):])
			}
			continue
		}
		for _, e := range s.endings {
			base, ok := strings.CutSuffix(w, s.from+e)
			if !ok || len(base) < s.minBefore {
				continue
			}
			if strings.HasPrefix(s.from, "l") && strings.HasSuffix(base, "l") {
				continue // would write a triple l ("counsellling")
			}
			out = append(out, base+s.to+e)
		}
	}
	return out
}
