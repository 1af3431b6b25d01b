package dialog

import (
	"regexp"
	"strings"

	"github.com/civibot/civibot/conversation"
)

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	phoneRe = regexp.MustCompile(`\+?\(?\d[\d\s/().\-]{5,}\d`)
)

// parseContact finds a phone number and/or e-mail address in text. The rest
// of the text is kept as a note for the caseworker.
func parseContact(text string) (conversation.Contact, bool) {
	var c conversation.Contact
	rest := text
	if m := emailRe.FindString(text); m != "" {
		c.Email = m
		rest = strings.Replace(rest, m, "", 1)
	}
	if m := phoneRe.FindString(rest); m != "" && digits(m) >= 6 && digits(m) <= 15 {
		c.Phone = strings.TrimSpace(m)
		rest = strings.Replace(rest, m, "", 1)
	}
	if c.Email == "" && c.Phone == "" {
		return c, false
	}
	c.Note = strings.TrimSpace(strings.Trim(strings.TrimSpace(rest), ",.;:-"))
	return c, true
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// isDecline reports whether a short message declines an offer.
func isDecline(text string) bool {
	switch conversation.NormalizeQuestion(text) {
	case "nein", "nein danke", "nein, danke", "no", "no thanks", "no, thanks", "no thank you", "nö", "lieber nicht", "nicht nötig":
		return true
	}
	return false
}
