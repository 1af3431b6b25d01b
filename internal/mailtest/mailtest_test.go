package mailtest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestIMAPDeliverAndCount(t *testing.T) {
	ca := NewCA(t)
	s := StartIMAP(t, ca, map[string]string{"bot@city.test": "secret"})
	s.Deliver(t, "bot@city.test", "INBOX", []byte("From: a@b.test\r\nSubject: hi\r\n\r\nhello\r\n"))
	if n := s.Count(t, "bot@city.test", "INBOX"); n != 1 {
		t.Fatalf("INBOX has %d messages, want 1", n)
	}
	c := s.Client(t, "bot@city.test")
	if !c.Caps().Has("IDLE") || !c.Caps().Has("MOVE") {
		t.Fatalf("dovecot lacks IDLE or MOVE: %v", c.Caps())
	}
	s.Stop(t)
	s.Start(t)
	if n := s.Count(t, "bot@city.test", "INBOX"); n != 1 {
		t.Fatalf("after a restart INBOX has %d messages, want 1", n)
	}
}

func TestSMTPRequiresTLSAndAuth(t *testing.T) {
	ca := NewCA(t)
	s := StartSMTP(t, ca, "bot", "pw")
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "bot", "pw")); err == nil {
		t.Fatal("AUTH without TLS was accepted")
	}
	c.Close()
	c, err = smtp.DialStartTLS(s.Addr, ca.ClientTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "bot", "wrong")); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	if err := c.Auth(sasl.NewPlainClient("", "bot", "pw")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("bot@city.test", []string{"a@b.test"}, strings.NewReader("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	got := s.Wait(t, 1, 5*time.Second)
	if got[0].From != "bot@city.test" || !bytes.Contains(got[0].Data, []byte("body")) {
		t.Fatalf("got %+v", got[0])
	}
}
