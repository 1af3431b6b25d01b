package email_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/channels/email"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/internal/redistest"
)

const citizen = "buerger@example.test"

// TestAnswerInThread: a question by mail is answered in its thread with
// proper headers, plain text and HTML, the source link, the AI disclosure
// and the privacy notice; replies to the answer (with quotes and a
// signature, with References or only In-Reply-To) continue the same
// conversation; another sender replying to the answer starts its own.
func TestAnswerInThread(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.deliver(msg{from: citizen, subject: "Personalausweis", id: "q1@example.test",
		body: "Guten Tag,\n\nwas kostet ein Personalausweis?\n\nMit freundlichen Grüßen\nErika Mustermann\nMusterweg 1"})
	h.waitProcessed(1, 30*time.Second)
	got := h.waitSent(1)
	a := got[0]
	if a.to != citizen || a.from != botAddr || a.envelopeFrom != botAddr || len(a.envelopeTo) != 1 || a.envelopeTo[0] != citizen {
		t.Fatalf("answer from %q to %q (envelope %q → %v)", a.from, a.to, a.envelopeFrom, a.envelopeTo)
	}
	subj, _ := a.header.Subject()
	irt, _ := a.header.MsgIDList("In-Reply-To")
	refs, _ := a.header.MsgIDList("References")
	answerID, _ := a.header.MessageID()
	if subj != "Re: Personalausweis" || len(irt) != 1 || irt[0] != "q1@example.test" || len(refs) != 1 || refs[0] != "q1@example.test" {
		t.Errorf("subject %q, In-Reply-To %v, References %v", subj, irt, refs)
	}
	if a.header.Get("Auto-Submitted") != "auto-replied" || a.contentType != "multipart/alternative" {
		t.Errorf("Auto-Submitted %q, Content-Type %q", a.header.Get("Auto-Submitted"), a.contentType)
	}
	if !strings.HasPrefix(answerID, "civibot.m") || !strings.HasSuffix(answerID, "@musterstadt.test") {
		t.Errorf("Message-ID %q is not civibot's", answerID)
	}
	for _, want := range []string{"37,00", "https://", "KI, kein Mensch", privacy, "\n-- \n", "Mitarbeiter"} {
		if !strings.Contains(a.text, want) {
			t.Errorf("plain text lacks %q:\n%s", want, a.text)
		}
	}
	for _, want := range []string{"<a href=\"https://", "KI, kein Mensch", "<a href=\"" + privacy + "\">"} {
		if !strings.Contains(a.html, want) {
			t.Errorf("HTML lacks %q:\n%s", want, a.html)
		}
	}
	convs := h.conversations(citizen)
	if len(convs) != 1 {
		t.Fatalf("%d conversations, want 1", len(convs))
	}
	c := convs[0]
	ms := h.messages(c.ID)
	if len(ms) != 2 || ms[0].Role != conversation.RoleCitizen || ms[1].Role != conversation.RoleBot {
		t.Fatalf("transcript %+v", ms)
	}
	if q := ms[0].Text; strings.Contains(q, "Erika") || strings.Contains(q, "Musterweg") || !strings.Contains(q, "was kostet ein Personalausweis?") {
		t.Errorf("the question kept the signature or lost the text: %q", q)
	}

	// The citizen answers with the usual quote and signature.
	h.deliver(msg{from: citizen, subject: "Re: Personalausweis", id: "q2@example.test", inReplyTo: answerID,
		refs: "<q1@example.test> <" + answerID + ">",
		body: "Und welche Unterlagen brauche ich?\n\n-- \nErika Mustermann\n\nAm 02.03.2026 um 10:00 schrieb Stadt Musterstadt <" + botAddr + ">:\n> Der Personalausweis kostet 37,00 Euro.\n> Quelle: …"})
	// Outlook keeps only In-Reply-To.
	h.deliver(msg{from: citizen, subject: "AW: Personalausweis", id: "q3@example.test", inReplyTo: answerID,
		body: "Danke!\n\n________________________________\nVon: Stadt Musterstadt\nGesendet: Montag, 2. März 2026 10:00\nAn: Erika\nBetreff: Re: Personalausweis\n\nDer Personalausweis kostet 37,00 Euro."})
	// Someone else replies to a forwarded answer.
	h.deliver(msg{from: "nachbar@example.test", subject: "Re: Personalausweis", id: "q4@example.test", inReplyTo: answerID,
		refs: "<q1@example.test> <" + answerID + ">", body: "Was kostet ein Reisepass?"})
	h.waitProcessed(4, 60*time.Second)
	all := h.waitSent(4)
	if convs := h.conversations(citizen); len(convs) != 1 {
		t.Fatalf("the citizen's replies made %d conversations, want 1", len(convs))
	}
	ms = h.messages(c.ID)
	var questions []string
	for _, m := range ms {
		if m.Role == conversation.RoleCitizen {
			questions = append(questions, m.Text)
		}
	}
	if len(questions) != 3 || questions[1] != "Und welche Unterlagen brauche ich?" || questions[2] != "Danke!" {
		t.Errorf("questions in the thread: %q", questions)
	}
	if n := h.conversations("nachbar@example.test"); len(n) != 1 || n[0].ID == c.ID {
		t.Errorf("another sender's reply joined the citizen's conversation: %+v", n)
	}
	for _, s := range all[1:] {
		refs, _ := s.header.MsgIDList("References")
		subj, _ := s.header.Subject()
		if len(refs) == 0 || refs[0] != "q1@example.test" || !strings.HasPrefix(subj, "Re: Personalausweis") {
			t.Errorf("a later answer left the thread: References %v, Subject %q", refs, subj)
		}
	}
	if h.outcomes.get(email.OutcomeAnswered) != 4 {
		t.Errorf("outcomes %+v", h.outcomes.m)
	}
}

// TestRestartMidBatch: the IMAP server goes away right after an answer
// was accepted (before the mail was flagged and moved) and the channel is
// restarted: every mail is answered exactly once, none is lost.
func TestRestartMidBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) harnessOpts
	}{
		{"memory", func(t *testing.T) harnessOpts { return harnessOpts{noRun: true} }},
		{"redis", func(t *testing.T) harnessOpts {
			srv := redistest.Start(t)
			rdb := srv.Client(t)
			return harnessOpts{noRun: true, rdb: rdb, store: conversation.NewRedis(rdb, conversation.Options{})}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts(t))
			questions := []string{"Was kostet ein Personalausweis?", "Wie melde ich Sperrmüll an?", "Wo beantrage ich einen Reisepass?", "Was kostet ein Anwohnerparkausweis?"}
			for i, q := range questions {
				h.deliver(msg{from: fmt.Sprintf("b%d@example.test", i), subject: "Frage", id: fmt.Sprintf("r%d@example.test", i), body: q})
			}
			stopped := make(chan struct{})
			h.smtp.OnData(func(n int, _ []byte) error {
				if n == 2 {
					// The second answer is accepted; the mailbox is gone
					// before the mail can be flagged and moved.
					h.imap.Stop(t)
					close(stopped)
				}
				return nil
			})
			h.start()
			select {
			case <-stopped:
			case <-time.After(30 * time.Second):
				t.Fatalf("the second answer was never sent\n%s", h.logs.String())
			}
			h.stop()
			if n := len(h.smtp.Messages()); n != 2 {
				t.Fatalf("%d answers before the restart, want 2", n)
			}
			h.smtp.OnData(nil)
			h.imap.Start(t)
			h.restart()
			h.waitProcessed(len(questions), 60*time.Second)
			got := h.sent()
			per := map[string]int{}
			for _, s := range got {
				per[s.to]++
			}
			for i := range questions {
				if a := fmt.Sprintf("b%d@example.test", i); per[a] != 1 {
					t.Errorf("%s got %d answers, want 1 (all: %v)", a, per[a], per)
				}
			}
			if len(got) != len(questions) {
				t.Errorf("%d answers, want %d", len(got), len(questions))
			}
		})
	}
}

// TestAutomaticMailIsNeverAnswered: out-of-office replies, bounces,
// mailing lists, noreply senders and mail from civibot's own address are
// moved without an answer; an auto-responder that marks nothing is stopped
// by the daily limit per sender after one notice.
func TestAutomaticMailIsNeverAnswered(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *email.Config) { c.AnswersPerDay = 2 }})
	auto := []msg{
		{from: citizen, subject: "Abwesenheitsnotiz: Re: Personalausweis", id: "a1@example.test", headers: []string{"Auto-Submitted: auto-replied"}, body: "Ich bin bis Montag nicht im Büro."},
		{from: citizen, subject: "Automatische Antwort", id: "a2@example.test", headers: []string{"X-Auto-Response-Suppress: All"}, body: "Ich bin nicht da."},
		{from: citizen, subject: "Out of office", id: "a3@example.test", headers: []string{"X-Autoreply: yes"}, body: "Away."},
		{from: "news@example.test", subject: "Newsletter", id: "a4@example.test", headers: []string{"List-Id: <news.example.test>", "List-Unsubscribe: <mailto:u@example.test>"}, body: "Was kostet ein Personalausweis?"},
		{from: "info@example.test", subject: "Angebot", id: "a5@example.test", headers: []string{"Precedence: bulk"}, body: "Was kostet ein Personalausweis?"},
		{from: "no-reply@example.test", subject: "Ihre Bestellung", id: "a6@example.test", body: "Was kostet ein Personalausweis?"},
		{from: botAddr, subject: "Re: Frage", id: "a7@example.test", body: "Was kostet ein Personalausweis?"},
		{raw: "From: Mail Delivery System <MAILER-DAEMON@example.test>\nTo: " + botAddr + "\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <a8@example.test>\nReturn-Path: <>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nThis is the mail system. Your message could not be delivered.\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.test\n\nFinal-Recipient: rfc822; gone@example.test\nAction: failed\nStatus: 5.1.1\n--b--\n"},
	}
	for _, m := range auto {
		h.deliver(m)
	}
	h.waitProcessed(len(auto), 60*time.Second)
	if n := len(h.smtp.Messages()); n != 0 {
		t.Fatalf("automatic mail got %d answers, want none: %+v", n, h.sent())
	}
	if len(h.conversations(citizen)) != 0 {
		t.Error("an automatic mail was stored as a citizen's question")
	}

	// A robot answering every mail without marking it: two answers, one
	// notice, then silence.
	for i := 0; i < 6; i++ {
		h.deliver(msg{from: "robot@example.test", subject: "Re: Ihre Anfrage", id: fmt.Sprintf("loop%d@example.test", i), body: "Was kostet ein Personalausweis?"})
	}
	h.waitProcessed(len(auto)+6, 60*time.Second)
	got := h.sent()
	if len(got) != 3 {
		t.Fatalf("the looping sender got %d mails, want 2 answers and 1 notice", len(got))
	}
	if !strings.Contains(got[2].text, "2 Antworten") || got[2].header.Get("Auto-Submitted") != "auto-replied" {
		t.Errorf("the third mail is not the limit notice:\n%s", got[2].text)
	}
	if h.outcomes.get(email.OutcomeLimit) != 4 {
		t.Errorf("outcomes %+v", h.outcomes.m)
	}
	// Nothing is lost: the mails over the limit are kept for the caseworkers.
	var stored int
	for _, c := range h.conversations("robot@example.test") {
		for _, m := range h.messages(c.ID) {
			if m.Role == conversation.RoleCitizen {
				stored++
			}
		}
	}
	if stored != 6 {
		t.Errorf("%d of the robot's 6 mails stored", stored)
	}
}

// TestPollingAndRetry: without IDLE the mailbox is polled; an answer the
// mail server refuses for now (451) leaves the mail in the mailbox, and it
// is answered once on a later pass.
func TestPollingAndRetry(t *testing.T) {
	h := newHarness(t, harnessOpts{cfg: func(c *email.Config) { c.IMAP.Idle = false; c.IMAP.PollInterval = 5 * time.Second }})
	h.smtp.FailNext(1)
	h.deliver(msg{from: citizen, subject: "Sperrmüll", id: "p1@example.test", body: "Wie melde ich Sperrmüll an?"})
	h.waitProcessed(1, 45*time.Second)
	if got := h.waitSent(1); len(got) != 1 || got[0].to != citizen {
		t.Fatalf("sent %+v", got)
	}
	if h.outcomes.get(email.OutcomeFailed) < 1 || h.outcomes.get(email.OutcomeAnswered) != 1 {
		t.Errorf("outcomes %+v", h.outcomes.m)
	}
	c := h.conversations(citizen)
	if len(c) != 1 {
		t.Fatalf("%d conversations", len(c))
	}
	var citizens int
	for _, m := range h.messages(c[0].ID) {
		if m.Role == conversation.RoleCitizen {
			citizens++
		}
	}
	if citizens != 1 {
		t.Errorf("the mail was stored %d times", citizens)
	}
}
