package email

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/civibot/civibot/conversation"
)

// Message-IDs civibot writes name the conversation and the message, so a
// reply that only keeps In-Reply-To (some mail programs drop References)
// still finds its conversation:
//
//	<civibot.m0123…(33).42.kx3f9a@musterstadt.example>
//
// The conversation id is an HMAC: it cannot be guessed, and a mail joins a
// conversation only when it comes from the conversation's address.
var ownIDRe = regexp.MustCompile(`^civibot\.([a-z][0-9a-f]{32})\.([0-9]+)\.[0-9a-z]+@(.+)$`)

// messageID is the Message-ID of a stored message sent in conv (without
// angle brackets): the same message always gets the same id, so a mail
// sent again is recognisable as the same one.
func messageID(convID string, m conversation.Message, domain string) string {
	return fmt.Sprintf("civibot.%s.%d.%s@%s", convID, m.Seq, strconv.FormatInt(m.At.UnixMilli(), 36), domain)
}

// ownConversation returns the conversation id in one of civibot's
// Message-IDs ("" if id is not one of ours).
func ownConversation(id, domain string) string {
	m := ownIDRe.FindStringSubmatch(id)
	if m == nil || !strings.EqualFold(m[3], domain) {
		return ""
	}
	return m[1]
}

// threadRoot is the first message of the thread a mail belongs to: the
// first References entry, else In-Reply-To, else the mail itself. A mail
// without any id gets one from its sender, subject and date, so it is a
// thread of its own.
func threadRoot(in *inbound) string {
	switch {
	case len(in.References) > 0:
		return in.References[0]
	case len(in.InReplyTo) > 0:
		return in.InReplyTo[0]
	case in.MessageID != "":
		return in.MessageID
	}
	return "no-id:" + strings.ToLower(in.From) + "\x00" + in.Subject + "\x00" + in.Date.UTC().Format(time.RFC3339)
}

// candidates lists the conversation ids a mail may continue, best first:
// ids named in its In-Reply-To and References (newest first), then the
// thread root's own id.
func (c *Channel) candidates(in *inbound) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, r := range in.InReplyTo {
		add(ownConversation(r, c.domain))
	}
	for i := len(in.References) - 1; i >= 0; i-- {
		add(ownConversation(in.References[i], c.domain))
	}
	add(conversation.MailID(c.o.Key, in.From, threadRoot(in)))
	return ids
}

// references builds the References of a reply to the citizen's mail: the
// thread's ids (bounded, the root kept) and the mail answered.
func references(t *conversation.Thread) []string {
	if t == nil {
		return nil
	}
	refs := append([]string(nil), t.References...)
	if t.Last != "" && (len(refs) == 0 || refs[len(refs)-1] != t.Last) {
		refs = append(refs, t.Last)
	}
	if len(refs) > maxRefs {
		refs = append(refs[:1:1], refs[len(refs)-maxRefs+1:]...)
	}
	return refs
}

// nextThread is the conversation's thread after the citizen's mail in.
func nextThread(old *conversation.Thread, in *inbound) *conversation.Thread {
	t := &conversation.Thread{}
	if old != nil {
		*t = *old
		t.References = append([]string(nil), old.References...)
	}
	if s := subjectText(in.Subject); s != "" || t.Subject == "" {
		t.Subject = s
	}
	if len(in.References) > 0 {
		t.References = append([]string(nil), in.References...)
	} else if len(in.InReplyTo) > 0 && len(t.References) == 0 {
		t.References = append([]string(nil), in.InReplyTo...)
	}
	if in.MessageID != "" {
		t.Last = in.MessageID
	}
	if len(t.References) > maxRefs {
		t.References = append(t.References[:1:1], t.References[len(t.References)-maxRefs+1:]...)
	}
	return t
}
