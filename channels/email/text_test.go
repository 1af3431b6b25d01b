package email

import (
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/conversation"
)

func TestStripQuoted(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Was kostet ein Personalausweis?", "Was kostet ein Personalausweis?"},
		{"quote lines", "Und wo?\n\n> Der Ausweis kostet 37 Euro.\n> Quelle", "Und wo?"},
		{"german attribution", "Danke, und wo beantrage ich ihn?\n\nAm 02.03.2026 um 10:00 schrieb Stadt Musterstadt <b@m.example>:\nDer Ausweis …", "Danke, und wo beantrage ich ihn?"},
		{"english attribution", "Thanks!\n\nOn Mon, 2 Mar 2026 at 10:00, City <b@m.example> wrote:\n> text", "Thanks!"},
		{"wrapped attribution", "Thanks!\n\nOn Mon, 2 Mar 2026 at 10:00, City of Musterstadt <\nb@m.example> wrote:\n> text", "Thanks!"},
		{"turkish attribution", "Teşekkürler\n\n2 Mar 2026 Pzt, 10:00 tarihinde Stadt <b@m.example> şunu yazdı:\n> metin", "Teşekkürler"},
		{"outlook separator", "Danke!\n\n-----Ursprüngliche Nachricht-----\nVon: Stadt\nGesendet: Montag", "Danke!"},
		{"outlook underline and header block", "Danke!\n\n________________________________\nVon: Stadt Musterstadt\nGesendet: Montag\nAn: Erika", "Danke!"},
		{"outlook header block alone", "Danke!\n\nVon: Stadt Musterstadt <b@m.example>\nGesendet: Montag, 2. März 2026 10:00\nAn: Erika\nBetreff: AW: Frage", "Danke!"},
		{"signature delimiter", "Wann ist das Amt offen?\n-- \nErika Mustermann\nTel. 0123", "Wann ist das Amt offen?"},
		{"phone footer", "Wann ist das Amt offen?\n\nVon meinem iPhone gesendet", "Wann ist das Amt offen?"},
		{"closing and name", "Guten Tag,\nwie melde ich Sperrmüll an?\n\nMit freundlichen Grüßen\nErika Mustermann\nMusterweg 1\n12345 Musterstadt", "Guten Tag,\nwie melde ich Sperrmüll an?"},
		{"closing in the middle stays", "Viele Grüße\nsoll ich von meiner Mutter ausrichten. Sie fragt, wann das Bürgerbüro öffnet, weil sie ihren Ausweis verloren hat und dringend einen neuen braucht, bevor sie nächste Woche in den Urlaub fährt. Was muss sie mitbringen und wie lange dauert es?\nAußerdem braucht sie eine Meldebescheinigung.\nUnd ein Führungszeugnis.\nUnd einen Parkausweis.\nUnd eine Hundesteuermarke.\nUnd einen Termin.\nDanke", ""},
		{"a sentence with schrieb stays", "Ich schrieb Ihnen letzte Woche wegen meines Antrags, bisher ohne Antwort.", "Ich schrieb Ihnen letzte Woche wegen meines Antrags, bisher ohne Antwort."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == "" {
				want = tidy(tc.in)
			}
			if got := stripQuoted(tc.in); got != want {
				t.Errorf("stripQuoted:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestHTMLToText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"paragraphs", "<p>Hallo,</p><p>wie melde ich <b>Sperrmüll</b> an?</p>", "Hallo,\nwie melde ich Sperrmüll an?"},
		{"breaks and entities", "Frage:<br>Was kostet &quot;Pass&quot; &amp; Ausweis?", "Frage:\nWas kostet \"Pass\" & Ausweis?"},
		{"list", "<ul><li>Ausweis</li><li>Pass</li></ul>", "- Ausweis\n- Pass"},
		{"link", `Siehe <a href="https://x.example/a">hier</a> und <a href="https://x.example/b">https://x.example/b</a>`, "Siehe hier (https://x.example/a) und https://x.example/b"},
		{"script, style, head left out", "<html><head><title>T</title><style>p{}</style></head><body><script>alert(1)</script><p>Text</p></body></html>", "Text"},
		{"gmail quote left out", `<div>Neu</div><div class="gmail_quote">Am … schrieb:<blockquote>alt</blockquote></div>`, "Neu"},
		{"outlook reply left out", `<div>Neu</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg">Von: Stadt</div><div>alt</div>`, "Neu\nalt"},
		{"unclosed tags", "<p>Offen <b>fett <i>kursiv", "Offen fett kursiv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := htmlToText(tc.in); got != tc.want {
				t.Errorf("htmlToText:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestAutomatic(t *testing.T) {
	const own = "buergerservice@musterstadt.example"
	for _, tc := range []struct {
		name    string
		from    string
		headers string
		want    string
	}{
		{"person", "erika@example.test", "", ""},
		{"auto-submitted no", "erika@example.test", "Auto-Submitted: no\n", ""},
		{"auto-replied", "erika@example.test", "Auto-Submitted: auto-replied\n", skipAutoSubmitted},
		{"auto-generated", "erika@example.test", "Auto-Submitted: auto-generated\n", skipAutoSubmitted},
		{"exchange oof", "erika@example.test", "X-Auto-Response-Suppress: OOF\n", skipAutoSubmitted},
		{"x-autoreply", "erika@example.test", "X-Autoreply: yes\n", skipAutoSubmitted},
		{"report", "erika@example.test", "Content-Type: multipart/report; report-type=delivery-status; boundary=x\n", skipBounce},
		{"null sender", "erika@example.test", "Return-Path: <>\n", skipBounce},
		{"precedence bulk", "erika@example.test", "Precedence: bulk\n", skipList},
		{"list-id", "erika@example.test", "List-Id: <x.example>\n", skipList},
		{"noreply", "noreply@shop.example", "", skipNoReply},
		{"no-reply", "No-Reply@shop.example", "", skipNoReply},
		{"mailer-daemon", "MAILER-DAEMON@mx.example", "", skipNoReply},
		{"list owner", "owner-list@lists.example", "", skipNoReply},
		{"own address", "BuergerService@musterstadt.example", "", skipOwn},
		{"x-loop", "erika@example.test", "X-Loop: " + own + "\n", skipOwn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := "From: " + tc.from + "\nTo: " + own + "\nSubject: x\n" + tc.headers + "\nbody\n"
			in, err := parse(strings.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if got := automatic(in, own); got != tc.want {
				t.Errorf("automatic = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestThreadIDs(t *testing.T) {
	ch := &Channel{domain: "musterstadt.example", o: Options{Key: []byte("0123456789abcdef0123")}}
	id := messageID("m0123456789abcdef0123456789abcdef", messageAt(7), "musterstadt.example")
	if got := ownConversation(id, "musterstadt.example"); got != "m0123456789abcdef0123456789abcdef" {
		t.Errorf("ownConversation(%q) = %q", id, got)
	}
	if got := ownConversation(id, "other.example"); got != "" {
		t.Errorf("an id of another domain was taken as ours: %q", got)
	}
	a := &inbound{From: "Erika@Example.test", MessageID: "root@x"}
	b := &inbound{From: "erika@example.test", MessageID: "second@x", InReplyTo: []string{"root@x"}}
	c := &inbound{From: "erika@example.test", MessageID: "third@x", References: []string{"root@x", "second@x"}}
	ia, ib, ic := ch.candidates(a), ch.candidates(b), ch.candidates(c)
	if ia[len(ia)-1] != ib[len(ib)-1] || ib[len(ib)-1] != ic[len(ic)-1] {
		t.Errorf("one thread gave different ids: %v %v %v", ia, ib, ic)
	}
	other := &inbound{From: "max@example.test", MessageID: "x@x", InReplyTo: []string{"root@x"}}
	if io := ch.candidates(other); io[len(io)-1] == ia[len(ia)-1] {
		t.Error("another sender in the same thread got the same conversation id")
	}
	d := &inbound{From: "erika@example.test", MessageID: "d@x", InReplyTo: []string{id}}
	if got := ch.candidates(d); got[0] != "m0123456789abcdef0123456789abcdef" {
		t.Errorf("a reply to civibot's mail does not name its conversation first: %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := func(c *Config) {}
	base := func() Config {
		c := DefaultConfig()
		c.Enabled = true
		c.Address = "bot@musterstadt.example"
		c.IMAP.Host, c.IMAP.Username, c.IMAP.Password = "imap.example", "bot", "pw"
		c.SMTP.Host = "smtp.example"
		return c
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"valid", ok, ""},
		{"disabled and empty", func(c *Config) { *c = DefaultConfig() }, ""},
		{"no address", func(c *Config) { c.Address = "" }, "email.address is required"},
		{"display name in address", func(c *Config) { c.Address = "Bot <bot@musterstadt.example>" }, "email.address must be a plain address"},
		{"no imap host", func(c *Config) { c.IMAP.Host = "" }, "email.imap.host is required"},
		{"no password", func(c *Config) { c.IMAP.Password = "" }, "CIVIBOT_EMAIL_IMAP_PASSWORD_FILE"},
		{"plaintext to a remote server", func(c *Config) { c.SMTP.Security = "none" }, "email.smtp.security none"},
		{"plaintext on this machine", func(c *Config) { c.SMTP.Security, c.SMTP.Host = "none", "127.0.0.1" }, ""},
		{"bad security", func(c *Config) { c.IMAP.Security = "ssl" }, "email.imap.security must be tls, starttls or none"},
		{"smtp user without password", func(c *Config) { c.SMTP.Username = "bot" }, "email.smtp.password is required"},
		{"same mailboxes", func(c *Config) { c.IMAP.ProcessedMailbox = "INBOX" }, "must differ"},
		{"poll too often", func(c *Config) { c.IMAP.PollInterval = time.Second }, "email.imap.poll_interval"},
		{"limit", func(c *Config) { c.AnswersPerDay = -5 }, "email.answers_per_day"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mod(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func messageAt(seq int64) conversation.Message {
	return conversation.Message{Seq: seq, At: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
}
