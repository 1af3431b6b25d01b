package knowledge

import (
	"math"
	"strings"
	"unicode"
)

// greetings are the short words people open, close and answer with; a
// one-word message is often nothing else ("Hallo", "Danke", "hi").
var greetings = map[string]string{
	"hallo": "de", "moin": "de", "servus": "de", "gruss": "de", "gruezi": "de", "danke": "de",
	"dankeschon": "de", "vielen": "de", "tschuss": "de", "ciao": "", "guten": "de", "tag": "de",
	"morgen": "de", "abend": "de", "nein": "de", "ja": "de", "genau": "de", "super": "",
	"okay": "", "ok": "", "hey": "",
	"hi": "en", "hello": "en", "thanks": "en", "thank": "en", "cheers": "en", "bye": "en",
	"goodbye": "en", "yes": "en", "good": "en", "morning": "en", "evening": "en",
	"afternoon": "en", "great": "en", "sure": "en", "yeah": "en", "nope": "en",
}

// DetectLanguage guesses whether text is German ("de") or English ("en")
// from stop words, greetings, words of the German lexicon, umlauts and ß,
// and typical word endings. Confidence is in [0, 1]; below 0.2 the language
// is "" (unsure): a text without evidence ("OK", "123") or with as much for
// either language.
func DetectLanguage(text string) (lang string, confidence float64) {
	t := tables()
	var de, en float64
	for _, w := range detectWords(text) {
		f := foldWord(w)
		if f != w { // umlaut or ß
			if strings.ContainsAny(w, "äöüß") {
				de += 1.5
			}
		}
		if g, ok := greetings[f]; ok {
			switch g {
			case "de":
				de += 2
			case "en":
				en += 2
			}
			continue
		}
		sd, se := t.stopDE[f], t.stopEN[f]
		switch {
		case sd && se:
			de += 0.3
			en += 0.3
			continue
		case sd:
			de++
			continue
		case se:
			en++
			continue
		}
		if w == "i" {
			en++
			continue
		}
		if t.germanWords[f] {
			de += 0.7
		}
		de += germanShape(f)
		en += englishShape(f)
	}
	if de == 0 && en == 0 {
		return "", 0
	}
	hi, lo, l := de, en, "de"
	if en > de {
		hi, lo, l = en, de, "en"
	}
	margin := hi - lo
	confidence = (1 - math.Exp(-margin/1.5)) * (0.5 + 0.5*margin/(hi+lo))
	if confidence < 0.2 {
		return "", confidence
	}
	return l, confidence
}

// detectWords splits text into lower-case words, keeping one-letter words
// ("I").
func detectWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	})
}

// germanShape scores how German a word looks by its spelling.
func germanShape(w string) float64 {
	if len(w) < 4 {
		return 0
	}
	var s float64
	for _, suf := range []string{"ung", "ungen", "keit", "heit", "schaft", "lich", "chen", "igkeit"} {
		if strings.HasSuffix(w, suf) {
			s += 0.6
			break
		}
	}
	if strings.Contains(w, "sch") || strings.Contains(w, "tz") || strings.HasPrefix(w, "zw") || strings.Contains(w, "pf") {
		s += 0.4
	}
	return s
}

// englishShape scores how English a word looks by its spelling.
func englishShape(w string) float64 {
	if len(w) < 4 {
		return 0
	}
	var s float64
	for _, suf := range []string{"ing", "ness", "ly", "ship", "ed", "'s"} {
		if strings.HasSuffix(w, suf) {
			s += 0.5
			break
		}
	}
	if strings.HasPrefix(w, "th") || strings.HasPrefix(w, "wh") || strings.Contains(w, "ea") || strings.Contains(w, "oo") || strings.HasSuffix(w, "y") {
		s += 0.3
	}
	return s
}
