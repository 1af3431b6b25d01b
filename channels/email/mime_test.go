package email_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
)

// TestLargeMailWithAttachment: a 20 MB mail (a scan attached) is read
// without holding the attachment; the answer says attachments are not read
// and names it, and the caseworker sees it listed with the question.
func TestLargeMailWithAttachment(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	scan := make([]byte, 20<<20)
	if _, err := rand.Read(scan); err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString(scan)
	var b strings.Builder
	b.WriteString("From: " + citizen + "\nTo: " + botAddr + "\nSubject: Antrag\nMessage-ID: <big@example.test>\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"mix\"\n\n--mix\nContent-Type: text/plain; charset=utf-8\n\n" +
		"Was kostet ein Personalausweis? Ich habe meinen alten Ausweis eingescannt.\n--mix\n" +
		"Content-Type: application/pdf; name=\"ausweis-scan.pdf\"\nContent-Disposition: attachment; filename=\"ausweis-scan.pdf\"\nContent-Transfer-Encoding: base64\n\n")
	for i := 0; i < len(enc); i += 76 {
		b.WriteString(enc[i:min(i+76, len(enc))] + "\n")
	}
	b.WriteString("--mix--\n")
	raw := b.String()
	if len(raw) < 20<<20 {
		t.Fatalf("the mail is only %d bytes", len(raw))
	}
	began := time.Now()
	h.deliver(msg{raw: raw})
	h.waitProcessed(1, 120*time.Second)
	got := h.waitSent(1)
	t.Logf("a %.1f MB mail handled in %v (delivery included)", float64(len(raw))/(1<<20), time.Since(began).Round(time.Millisecond))
	for _, want := range []string{"37,00", "Anhänge liest der Assistent nicht: ausweis-scan.pdf (20.0 MB)"} {
		if !strings.Contains(got[0].text, want) {
			t.Errorf("the answer lacks %q:\n%s", want, got[0].text)
		}
	}
	c := h.conversations(citizen)
	if len(c) != 1 {
		t.Fatalf("%d conversations", len(c))
	}
	ms := h.messages(c[0].ID)
	if q := ms[0].Text; strings.Contains(q, enc[:40]) || strings.Contains(q, "ausweis-scan") {
		t.Errorf("the stored question holds the attachment: %.300q", q)
	}
	note := ms[len(ms)-1]
	if note.Role != conversation.RoleNote || !strings.Contains(note.Text, "ausweis-scan.pdf (20.0 MB)") {
		t.Errorf("the caseworkers' note does not list the attachment: %+v", note)
	}
}

// TestMalformedMail: damaged mail is read as far as it goes and never
// stops the mailbox; a mail with no sender is moved unanswered; a mail with
// no readable text gets a notice.
func TestMalformedMail(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	cases := []struct {
		name, raw string
		answer    string // what the answer to b<i>@example.test contains; "" = no answer
	}{
		{"unterminated multipart", "Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/plain; charset=utf-8\n\nWas kostet ein Personalausweis?\n--x\nContent-Type: application/pdf\n\nJVBERi0xLjQK", "37,00"},
		{"broken base64", "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nV2FzIGtvc3RldCBlaW4gUGVyc29uYWxhdXN3ZWlzPw==!!!%%%\n", ""},
		{"unknown charset", "Content-Type: text/plain; charset=x-unknown-42\n\nWas kostet ein Personalausweis?\n", "37,00"},
		{"multipart without boundary", "Content-Type: multipart/alternative\n\nWas kostet ein Personalausweis?\n", ""},
		{"nested without end", "Content-Type: multipart/mixed; boundary=\"a\"\n\n--a\nContent-Type: multipart/alternative; boundary=\"b\"\n\n--b\nContent-Type: text/html; charset=utf-8\n\n<p>Was kostet ein <b>Personalausweis</b>?\n", "37,00"},
		{"empty body", "Content-Type: text/plain\n\n\n", "keinen Text"},
	}
	for i, tc := range cases {
		h.deliver(msg{raw: fmt.Sprintf("From: b%d@example.test\nTo: %s\nSubject: \nMessage-ID: <bad%d@example.test>\nMIME-Version: 1.0\n%s", i, botAddr, i, tc.raw)})
	}
	// No sender at all, and a header that is not a header.
	h.deliver(msg{raw: "To: " + botAddr + "\nSubject: Frage\nMessage-ID: <nosender@example.test>\n\nWas kostet ein Personalausweis?\n"})
	h.deliver(msg{raw: "\x00\x01garbage without colon\n\nhello\n"})
	h.waitProcessed(len(cases)+2, 60*time.Second)
	got := h.sent()
	by := map[string]string{}
	for _, s := range got {
		by[s.to] += s.text
	}
	for i, tc := range cases {
		to := fmt.Sprintf("b%d@example.test", i)
		switch {
		case tc.answer == "":
			// Whatever could be read was answered or a notice went out;
			// it must just not crash the reader.
		case !strings.Contains(by[to], tc.answer):
			t.Errorf("%s: answer lacks %q: %q", tc.name, tc.answer, by[to])
		}
	}
	if len(got) > len(cases) {
		t.Errorf("%d mails sent for %d answerable mails", len(got), len(cases))
	}
	// The reader is still alive: a good mail after the bad ones is answered.
	h.deliver(msg{from: citizen, subject: "Sperrmüll", id: "after@example.test", body: "Wie melde ich Sperrmüll an?"})
	h.waitProcessed(len(cases)+3, 30*time.Second)
	if last := h.waitSent(len(got) + 1); last[len(last)-1].to != citizen {
		t.Errorf("the mail after the malformed ones was not answered")
	}
}

// TestThirdLanguageAndHTML: a Turkish mail in ISO-8859-9 with an encoded
// subject is decoded as written; an HTML-only mail is read as text without
// the quoted earlier mail.
func TestThirdLanguageAndHTML(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	// "Kimlik kartımı kaybettim, ne yapmalıyım?" in ISO-8859-9,
	// quoted-printable: ı = 0xFD, ş = 0xFE, ğ = 0xF0.
	h.deliver(msg{raw: "From: " + citizen + "\nTo: " + botAddr + "\nSubject: =?ISO-8859-9?Q?Kimlik_kart=FDm=FD_kaybettim?=\nMessage-ID: <tr1@example.test>\nMIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=ISO-8859-9\nContent-Transfer-Encoding: quoted-printable\n\nMerhaba,\nkimlik kart=FDm=FD kaybettim, ne yapmal=FDy=FDm? Ba=FEvuru i=E7in randevu gerekli mi?\n\nSayg=FDlar=FDmla\nAy=FEe\n"})
	h.waitProcessed(1, 30*time.Second)
	got := h.waitSent(1)
	c := h.conversations(citizen)
	if len(c) != 1 {
		t.Fatalf("%d conversations", len(c))
	}
	q := h.messages(c[0].ID)[0].Text
	if !strings.Contains(q, "kimlik kartımı kaybettim, ne yapmalıyım? Başvuru için randevu gerekli mi?") || strings.Contains(q, "Ayşe") {
		t.Errorf("the Turkish question was not decoded (or kept the signature): %q", q)
	}
	if subj, _ := got[0].header.Subject(); subj != "Re: Kimlik kartımı kaybettim" {
		t.Errorf("subject %q", subj)
	}
	if !strings.Contains(got[0].text, "eine KI, kein Mensch") || got[0].header.Get("Content-Language") != "de" {
		t.Errorf("the answer to a third language is not in the default language with the disclosure: %q\n%s", got[0].header.Get("Content-Language"), got[0].text)
	}

	h.deliver(msg{raw: "From: html@example.test\nTo: " + botAddr + "\nSubject: Re: Frage\nMessage-ID: <html1@example.test>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n" +
		`<html><head><style>p{color:red}</style></head><body><div dir="ltr"><p>Wie melde ich <b>Sperrmüll</b> an?</p><p>Danke</p></div>` +
		`<div class="gmail_quote"><div>Am Mo., 2. März 2026 um 10:00 schrieb Stadt</div><blockquote>Alte Antwort über Personalausweis</blockquote></div></body></html>`})
	h.waitProcessed(2, 30*time.Second)
	h.waitSent(2)
	hc := h.conversations("html@example.test")
	if len(hc) != 1 {
		t.Fatalf("%d conversations", len(hc))
	}
	if q := h.messages(hc[0].ID)[0].Text; q != "Wie melde ich Sperrmüll an?\nDanke" {
		t.Errorf("HTML mail read as %q", q)
	}
}

// TestCaseworkerReplyByMail: a mail asking for a person goes to the
// console; the caseworker's reply goes out as a mail in the thread, signed
// with their name, not marked automatic.
func TestCaseworkerReplyByMail(t *testing.T) {
	h := newHarness(t, harnessOpts{online: true})
	h.deliver(msg{from: citizen, subject: "Widerspruch", id: "w1@example.test", body: "Ich möchte mit einem Mitarbeiter sprechen."})
	h.waitProcessed(1, 30*time.Second)
	first := h.waitSent(1)[0]
	if !strings.Contains(first.text, "beantwortet Ihre E-Mail") {
		t.Errorf("the handoff answer does not promise a mail:\n%s", first.text)
	}
	c := h.conversations(citizen)
	if len(c) != 1 || c[0].Status != conversation.StatusWaiting {
		t.Fatalf("conversation %+v, want one waiting", c)
	}
	if _, err := h.desk.Claim(bg, c[0].ID, "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.desk.Reply(bg, c[0].ID, "anna", "Guten Tag, Ihren Widerspruch können Sie formlos schriftlich einlegen."); err != nil {
		t.Fatal(err)
	}
	got := h.waitSent(2)
	r := got[len(got)-1]
	subj, _ := r.header.Subject()
	irt, _ := r.header.MsgIDList("In-Reply-To")
	if r.to != citizen || subj != "Re: Widerspruch" || len(irt) != 1 || irt[0] != "w1@example.test" {
		t.Errorf("reply to %q, subject %q, In-Reply-To %v", r.to, subj, irt)
	}
	if r.header.Get("Auto-Submitted") != "" {
		t.Errorf("a caseworker's reply is marked Auto-Submitted: %q", r.header.Get("Auto-Submitted"))
	}
	if !strings.Contains(r.text, "formlos schriftlich") || !strings.Contains(r.text, "Anna Berger, Stadt Musterstadt") || !strings.Contains(r.text, privacy) {
		t.Errorf("reply text:\n%s", r.text)
	}
	if len(got) != 2 {
		t.Errorf("%d mails; the claim notice must not be mailed", len(got))
	}
	// The citizen answers the caseworker: stored, the bot stays silent.
	replyID, _ := r.header.MessageID()
	h.deliver(msg{from: citizen, subject: "Re: Widerspruch", id: "w2@example.test", inReplyTo: replyID, refs: "<w1@example.test> <" + replyID + ">", body: "Vielen Dank!"})
	h.waitProcessed(2, 30*time.Second)
	ms := h.messages(c[0].ID)
	if last := ms[len(ms)-1]; last.Role != conversation.RoleCitizen || last.Text != "Vielen Dank!" {
		t.Errorf("last message %+v", last)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(h.smtp.Messages()); n != 2 {
		t.Errorf("%d mails after the citizen's answer to a caseworker, want 2", n)
	}
	_ = bytes.MinRead
}
