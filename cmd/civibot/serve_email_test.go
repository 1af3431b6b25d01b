package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/mailtest"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/internal/testtime"
)

// TestServeEmailAndWhatsApp: with email.enabled and twilio.whatsapp.*,
// serve reads the mailbox (Dovecot, on Redis with the mailbox lock) and
// answers by SMTP, a mail asking for a person reaches the console and the
// caseworker's reply goes out by mail; a WhatsApp message on the Twilio
// webhook is answered on its own channel; metrics and analytics count
// both channels.
func TestServeEmailAndWhatsApp(t *testing.T) {
	rs := redistest.Start(t)
	ca := mailtest.NewCA(t)
	imap := mailtest.StartIMAP(t, ca, map[string]string{"buergerservice@musterstadt.test": "imap-pw"})
	smtp := mailtest.StartSMTP(t, ca, "civibot", "smtp-pw")
	api := httptest.NewServer(&fakeMessagesAPI{})
	defer api.Close()

	cfg := testConfig(t, rs.URL())
	cfg.City.PrivacyURL = "https://www.musterstadt.test/datenschutz"
	cfg.Server.PublicURL = twPublic
	cfg.Twilio.Enabled = true
	cfg.Twilio.AccountSID, cfg.Twilio.AuthToken, cfg.Twilio.From = twAccount, twToken, "+4930555000"
	cfg.Twilio.APIBase = api.URL
	cfg.Twilio.WhatsApp.Enabled, cfg.Twilio.WhatsApp.From = true, "+4930555111"
	cfg.Metrics.Token = "metrics-token-0123456789"
	host, port := hostPort(t, imap.Addr)
	shost, sport := hostPort(t, smtp.Addr)
	caFile := ca.WriteCertFile(t)
	for _, s := range []string{
		"email.enabled=true", "email.address=buergerservice@musterstadt.test",
		"email.imap.host=" + host, "email.imap.port=" + strconv.Itoa(port), "email.imap.security=starttls",
		"email.imap.username=buergerservice@musterstadt.test", "email.imap.password=imap-pw", "email.imap.ca_file=" + caFile,
		"email.smtp.host=" + shost, "email.smtp.port=" + strconv.Itoa(sport), "email.smtp.username=civibot",
		"email.smtp.password=smtp-pw", "email.smtp.ca_file=" + caFile, "email.lock_ttl=3s",
	} {
		if err := cfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	addUser(t, rs.URL(), "erika", "Erika Mustermann", true)
	in := startInstance(t, cfg)
	if out := in.out.String(); !strings.Contains(out, "E-mail: reading INBOX") || !strings.Contains(out, "WhatsApp: point the WhatsApp sender") {
		t.Errorf("serve printed %q", out)
	}
	erika := loginCaseworker(t, in.url, "erika", casePassword)
	erika.connect()

	mail := func(from, id, subject, body string) []byte {
		return []byte(strings.ReplaceAll("From: "+from+"\nTo: buergerservice@musterstadt.test\nSubject: "+subject+"\nMessage-ID: <"+id+
			">\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"+body+"\n", "\n", "\r\n"))
	}
	imap.Deliver(t, "buergerservice@musterstadt.test", "INBOX", mail("erika.m@example.test", "e1@example.test", "Personalausweis", "Was kostet ein Personalausweis?"))
	got := smtp.Wait(t, 1, 30*time.Second)
	if !bytes.Contains(got[0].Data, []byte("Auto-Submitted: auto-replied")) || !bytes.Contains(got[0].Data, []byte("In-Reply-To: <e1@example.test>")) {
		t.Errorf("answer mail:\n%s", got[0].Data)
	}

	imap.Deliver(t, "buergerservice@musterstadt.test", "INBOX", mail("max@example.test", "e2@example.test", "Widerspruch", "Ich möchte mit einem Mitarbeiter sprechen."))
	q := erika.until("queue", func(f liveFrame) bool { return len(ids(f, "waiting")) == 1 })
	if w := q["waiting"].([]any)[0].(map[string]any); w["channel"] != "email" {
		t.Fatalf("waiting = %v", w)
	}
	id := ids(q, "waiting")[0]
	if code, res := erika.do("POST", "/console/api/conversations/"+id+"/claim", nil); code != 200 {
		t.Fatalf("claim: %d %v", code, res)
	}
	if code, res := erika.do("POST", "/console/api/conversations/"+id+"/reply", map[string]string{"text": "Guten Tag, Ihr Widerspruch ist eingegangen."}); code != 200 || res["delivered"] != true {
		t.Fatalf("reply: %d %v", code, res)
	}
	// The bot's "a person will answer" mail and the caseworker's reply may
	// leave in either order under load: find the reply.
	got = smtp.Wait(t, 3, 30*time.Second)
	var reply []byte
	for _, m := range got[1:] {
		if m.To[0] == "max@example.test" && bytes.Contains(m.Data, []byte("Erika Mustermann")) {
			reply = m.Data
		}
	}
	if !bytes.Contains(reply, []byte("Subject: Re: Widerspruch")) {
		t.Errorf("the caseworker's mail is not among:\n%s\n%s", got[1].Data, got[len(got)-1].Data)
	}

	wa := url.Values{"MessageSid": {"SM" + strings.Repeat("8", 32)}, "AccountSid": {twAccount}, "From": {"whatsapp:" + twCitizen},
		"To": {"whatsapp:+4930555111"}, "Body": {"Was kostet ein Reisepass?"}, "NumMedia": {"0"}}
	if code, body := twilioPost(t, in.url, "/twilio/sms", wa); code != http.StatusOK || !strings.Contains(body, "<Message") || !strings.Contains(body, "KI, keinem Menschen") {
		t.Fatalf("whatsapp: %d %s", code, body)
	}

	testtime.WaitFor(t, 10*time.Second, "the mails counted", func() bool {
		return scrapeMetrics(t, in.url, cfg.Metrics.Token)[`civibot_email_mails_total{outcome="answered"}`] == 2
	})
	m := scrapeMetrics(t, in.url, cfg.Metrics.Token)
	for k, want := range map[string]float64{
		`civibot_messages_total{channel="email",direction="in"}`:                          2,
		`civibot_messages_total{channel="whatsapp",direction="in"}`:                       1,
		`civibot_handoffs_total{channel="email",outcome="queued",reason="human_request"}`: 1,
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	testtime.WaitFor(t, 10*time.Second, "the analytics", func() bool {
		code, body := erika.do("GET", "/console/api/analytics", nil)
		return code == 200 && strings.Join(toStrings(body["channels"]), ",") == "email,whatsapp"
	})
	for _, secret := range []string{"erika.m@example.test", "max@example.test", twCitizen, "Widerspruch"} {
		if strings.Contains(in.logs.String(), secret) {
			t.Errorf("%q was logged", secret)
		}
	}
}

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	p, err := strconv.Atoi(addr[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	return addr[:i], p
}
