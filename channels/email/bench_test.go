package email

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

// BenchmarkParseLargeMail reads a mail with a 20 MB attachment (27 MB of
// base64) as the channel does: the text kept, the attachment counted and
// dropped. It reports the bytes read per second and the memory allocated
// per mail (the attachment is never held).
func BenchmarkParseLargeMail(b *testing.B) {
	scan := make([]byte, 20<<20)
	_, _ = rand.Read(scan)
	enc := base64.StdEncoding.EncodeToString(scan)
	var m strings.Builder
	m.WriteString("From: erika@example.test\r\nTo: bot@example.test\r\nSubject: Antrag\r\nMessage-ID: <big@example.test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWas kostet ein Personalausweis?\r\n--mix\r\n" +
		"Content-Type: application/pdf; name=\"scan.pdf\"\r\nContent-Disposition: attachment; filename=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for i := 0; i < len(enc); i += 76 {
		m.WriteString(enc[i:min(i+76, len(enc))] + "\r\n")
	}
	m.WriteString("--mix--\r\n")
	raw := []byte(m.String())
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		in, err := parse(bytes.NewReader(raw))
		if err != nil || len(in.Attachments) != 1 || in.Attachments[0].Size != 20<<20 {
			b.Fatalf("parse: %v %+v", err, in)
		}
	}
}

// BenchmarkStripQuoted is the text work on a typical reply: quotes and the
// signature stripped from a 4 KB mail.
func BenchmarkStripQuoted(b *testing.B) {
	var m strings.Builder
	m.WriteString("Guten Tag,\n\nund welche Unterlagen brauche ich für den Reisepass?\n\nMit freundlichen Grüßen\nErika Mustermann\n\n")
	m.WriteString("Am 02.03.2026 um 10:00 schrieb Stadt Musterstadt <bot@example.test>:\n")
	for m.Len() < 4096 {
		m.WriteString("> Der Personalausweis kostet 37,00 Euro für Personen ab 24 Jahren.\n")
	}
	text := m.String()
	b.ReportAllocs()
	for b.Loop() {
		if q := stripQuoted(text); !strings.Contains(q, "Reisepass") {
			b.Fatal(q)
		}
	}
}
