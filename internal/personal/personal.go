// Package personal holds the one set of patterns by which civibot finds
// personal data in free text: e-mail addresses (with umlauts and
// internationalised domains), phone numbers (+49, 0049, 0…, grouped by
// spaces, slashes, dots, hyphens and brackets) and dates. The dialog
// service captures a citizen's callback details with them; the analytics
// scrubber removes the same things from the questions it keeps. Each user
// decides what a match means to it: contact capture wants a number that
// can be dialled, the scrubber removes anything that might be one.
package personal

import (
	"regexp"
	"strings"
)

// Patterns. They are compiled once and safe for concurrent use.
var (
	// Email matches an e-mail address. Local part and domain may hold
	// letters of any script (jürgen.müller@gmx.de, info@bürgeramt-köln.de,
	// RFC 6531/IDNA) and combining marks; the top-level domain is letters
	// or an IDNA "xn--" label.
	Email = regexp.MustCompile(`[\p{L}\p{M}\p{N}._%+\-]+@(?:[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}\-]*[\p{L}\p{M}\p{N}])?\.)+(?:xn--[a-z0-9\-]*[a-z0-9]|[\p{L}\p{M}]{2,})`)
	// Date matches a written date (12.03.1985, 12. 3. 85, 1985-03-12,
	// 3/12/1985), so that it is not taken for a phone number.
	Date = regexp.MustCompile(`\b\d{1,2}\.[ ]?\d{1,2}\.[ ]?(?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b`)
	// Phone matches what may be a phone number: an optional "+" and "(",
	// then digits grouped by spaces (also no-break spaces), tabs, slashes,
	// dots, hyphens and brackets ("+49 (0)30 123 456-78", "0049 170 1234567", "0151/2345-6789").
	// Digits reports how many digits a match has; FindPhone keeps those
	// that can be dialled.
	Phone = regexp.MustCompile(`\+?\(?\d[\d \t\x{00A0}\x{202F}/().\-]{4,}\d`)
)

// Digits counts the ASCII digits in s.
func Digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// Dialable reports whether a match of Phone can be a phone number to call
// back: 6 to 15 digits (E.164 allows 15), two more with the international
// prefix 00.
func Dialable(m string) bool {
	n := Digits(m)
	most := 15
	if strings.HasPrefix(m, "00") {
		most = 17
	}
	return n >= 6 && n <= most
}

// FindEmail returns the first e-mail address in text, or "".
func FindEmail(text string) string { return Email.FindString(text) }

// FindPhone returns the first phone number in text that can be dialled,
// or "": dates are not phone numbers, and neither are digit groups too
// short or too long for one.
func FindPhone(text string) string {
	masked := Date.ReplaceAllStringFunc(text, func(d string) string { return strings.Repeat(" ", len(d)) })
	for _, loc := range Phone.FindAllStringIndex(masked, -1) {
		if m := text[loc[0]:loc[1]]; Dialable(m) {
			return m
		}
	}
	return ""
}
