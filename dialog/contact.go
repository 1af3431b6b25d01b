package dialog

import (
	"strings"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/personal"
)

// parseContact finds a phone number and/or e-mail address in text (with
// the patterns the analytics scrubber uses too, package personal). The
// rest of the text is kept as a note for the caseworker.
func parseContact(text string) (conversation.Contact, bool) {
	var c conversation.Contact
	rest := text
	if m := personal.FindEmail(text); m != "" {
		c.Email = m
		rest = strings.Replace(rest, m, "", 1)
	}
	if m := personal.FindPhone(rest); m != "" {
		c.Phone = strings.TrimSpace(m)
		rest = strings.Replace(rest, m, "", 1)
	}
	if c.Email == "" && c.Phone == "" {
		return c, false
	}
	c.Note = strings.TrimSpace(strings.Trim(strings.TrimSpace(rest), ",.;:-"))
	return c, true
}

// isDecline reports whether a short message declines an offer.
func isDecline(text string) bool {
	switch conversation.NormalizeQuestion(text) {
	case "nein", "nein danke", "nein, danke", "no", "no thanks", "no, thanks", "no thank you", "nö", "lieber nicht", "nicht nötig":
		return true
	}
	return false
}
