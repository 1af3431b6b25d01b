package email

import (
	"strings"
)

// Reasons a mail is not answered (logged and counted; the mail is moved to
// the processed mailbox).
const (
	skipAutoSubmitted = "auto_submitted" // RFC 3834 Auto-Submitted, or a vendor's auto-reply header
	skipBounce        = "bounce"         // a delivery report or a mail from the null sender
	skipList          = "mailing_list"   // List-Id, List-Unsubscribe, Precedence: list/bulk/junk
	skipNoReply       = "noreply"        // noreply@, mailer-daemon@, postmaster@, …
	skipOwn           = "own_address"    // from civibot's own address (a loop to itself)
)

// automatic tells why a mail must not be answered, or "" when a person
// wrote it. Answering machines must never talk to each other: RFC 3834
// says not to answer auto-submitted mail, lists or the null sender, and
// vendors mark their out-of-office replies in their own headers.
func automatic(in *inbound, own string) string {
	h := func(k string) string { return strings.ToLower(strings.TrimSpace(in.get(k))) }
	if v := h("Auto-Submitted"); v != "" && v != "no" {
		return skipAutoSubmitted
	}
	if h("X-Autoreply") != "" || h("X-Autorespond") != "" || h("X-Autoresponder") != "" || h("X-Auto-Reply") != "" ||
		h("X-AutoReply-From") != "" || h("X-Mail-Autoreply") != "" || h("X-Cron-Env") != "" {
		return skipAutoSubmitted
	}
	// Exchange marks its own automatic mail; a citizen's Outlook asks not
	// to be auto-answered the same way.
	if v := h("X-Auto-Response-Suppress"); strings.Contains(v, "all") || strings.Contains(v, "oof") || strings.Contains(v, "autoreply") {
		return skipAutoSubmitted
	}
	ct := h("Content-Type")
	if strings.HasPrefix(ct, "multipart/report") || strings.HasPrefix(ct, "message/delivery-status") ||
		strings.HasPrefix(ct, "message/disposition-notification") || h("Feedback-Type") != "" {
		return skipBounce
	}
	if rp := in.get("Return-Path"); strings.TrimSpace(rp) == "<>" {
		return skipBounce
	}
	switch h("Precedence") {
	case "bulk", "junk", "list", "auto_reply", "auto-reply":
		return skipList
	}
	if h("List-Id") != "" || h("List-Unsubscribe") != "" || h("List-Post") != "" || h("Mailing-List") != "" || h("X-Mailing-List") != "" {
		return skipList
	}
	if own != "" && (strings.EqualFold(in.From, own) || strings.Contains(h("X-Loop"), strings.ToLower(own))) {
		return skipOwn
	}
	if noReply(in.From) {
		return skipNoReply
	}
	return ""
}

// noReply recognises addresses nobody reads: noreply@, mailer-daemon@, …
func noReply(addr string) bool {
	local, _, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok {
		return true
	}
	plain := strings.NewReplacer("-", "", "_", "", ".", "").Replace(local)
	switch {
	case strings.HasPrefix(plain, "noreply"), strings.HasPrefix(plain, "donotreply"), strings.HasPrefix(plain, "dontreply"),
		strings.HasPrefix(plain, "nichtantworten"), strings.HasPrefix(plain, "keineantwort"),
		plain == "mailerdaemon", plain == "postmaster", plain == "bounce", plain == "bounces", plain == "daemon",
		plain == "listserv", plain == "majordomo", plain == "autoreply", plain == "autoresponder",
		strings.HasPrefix(local, "owner-"), strings.HasSuffix(local, "-request"), strings.HasPrefix(local, "bounce-"),
		strings.HasPrefix(local, "bounces+"), strings.HasPrefix(local, "mailer-daemon"):
		return true
	}
	return false
}
