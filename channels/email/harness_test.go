package email_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/channels/email"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/mailtest"
	"github.com/civibot/civibot/internal/testcity"
)

var bg = context.Background()

const (
	botAddr  = "buergerservice@musterstadt.test"
	botPass  = "imap-secret"
	smtpUser = "civibot"
	smtpPass = "smtp-secret"
	idKey    = "test-installation-key-0123456789"
	privacy  = "https://www.musterstadt.test/datenschutz"
)

// backend is a store that is also the bus and the idempotency keeper.
type backend interface {
	conversation.Store
	conversation.Bus
	conversation.Idempotency
}

// harness is the channel on real mail servers (Dovecot, a go-smtp
// submission server), with the real dialog engine over the sample city and
// the real handoff desk.
type harness struct {
	t        *testing.T
	ca       *mailtest.CA
	imap     *mailtest.IMAP
	smtp     *mailtest.SMTP
	store    backend
	rdb      redis.UniversalClient
	desk     *handoff.Desk
	svc      *dialog.Service
	registry *channels.Registry
	logs     *testcity.LogBuffer
	log      *slog.Logger
	cfg      email.Config
	outcomes *outcomes

	mu     sync.Mutex
	ch     *email.Channel
	cancel context.CancelFunc
	done   chan struct{}
}

type harnessOpts struct {
	store  backend
	rdb    redis.UniversalClient
	online bool // anna has the console open
	cfg    func(*email.Config)
	noRun  bool
}

// outcomes counts what the channel reports per mail.
type outcomes struct {
	mu sync.Mutex
	m  map[string]int
}

func (o *outcomes) add(s string) {
	o.mu.Lock()
	o.m[s]++
	o.mu.Unlock()
}

func (o *outcomes) get(s string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[s]
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	kb, err := testcity.KB()
	if err != nil {
		t.Fatal(err)
	}
	if o.store == nil {
		o.store = conversation.NewMemory(conversation.Options{})
	}
	h := &harness{t: t, store: o.store, rdb: o.rdb, logs: &testcity.LogBuffer{}, outcomes: &outcomes{m: map[string]int{}}}
	h.log = slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.ca = mailtest.NewCA(t)
	h.imap = mailtest.StartIMAP(t, h.ca, map[string]string{botAddr: botPass})
	h.smtp = mailtest.StartSMTP(t, h.ca, smtpUser, smtpPass)

	engine, err := dialog.NewEngine(dialog.Config{CityName: "Musterstadt"}, kb, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	acfg := accounts.Config{BcryptCost: accounts.MinBcryptCost}
	accts, err := accounts.NewMemory(acfg, filepath.Join(t.TempDir(), "accounts.json"), accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accts.AddUser(bg, "anna", "Anna Berger", accounts.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	h.registry = channels.NewRegistry()
	always := handoff.OfficeHours{TimeZone: "UTC", Week: map[string]string{"mon-sun": "00:00-24:00"}}
	h.desk, err = handoff.New(handoff.Config{Accounts: acfg, OfficeHours: always}, handoff.Options{State: h.store, Queue: handoff.NewMemoryQueue(), Registry: h.registry, Users: accts, Log: h.log})
	if err != nil {
		t.Fatal(err)
	}
	if o.online {
		if err := h.desk.Heartbeat(bg, "anna"); err != nil {
			t.Fatal(err)
		}
	}
	h.svc, err = dialog.NewService(dialog.ServiceConfig{MaxMessageChars: 1000}, dialog.ServiceOptions{Engine: engine, Store: h.store, Bus: h.store, Desk: h.desk, Log: h.log})
	if err != nil {
		t.Fatal(err)
	}
	host, port := splitAddr(t, h.imap.Addr)
	shost, sport := splitAddr(t, h.smtp.Addr)
	cfg := email.DefaultConfig()
	cfg.Enabled = true
	cfg.Address = botAddr
	cfg.IMAP = email.IMAPConfig{Host: host, Port: port, Security: email.SecuritySTARTTLS, Username: botAddr, Password: botPass,
		CAFile: h.ca.WriteCertFile(t), PollInterval: 5 * time.Second, Idle: true}
	cfg.SMTP = email.SMTPConfig{Host: shost, Port: sport, Security: email.SecuritySTARTTLS, Username: smtpUser, Password: smtpPass,
		CAFile: h.ca.WriteCertFile(t)}
	cfg.LockTTL = 3 * time.Second
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	h.cfg = cfg
	h.ch = h.newChannel()
	h.registry.Register(conversation.ChannelEmail, h.ch)
	if !o.noRun {
		h.start()
	}
	t.Cleanup(func() {
		h.stop()
		// Addresses and mail text never reach the logs.
		for _, s := range []string{"buerger@example.test", "@example.test", "Personalausweis"} {
			if strings.Contains(h.logs.String(), s) {
				t.Errorf("personal data (%q) was logged:\n%s", s, h.logs.String())
			}
		}
	})
	return h
}

func (h *harness) newChannel() *email.Channel {
	h.t.Helper()
	ch, err := email.New(h.cfg, email.Options{
		Service: h.svc, Threads: h.store, Idempotency: h.store, Key: []byte(idKey),
		Redis: h.rdb, RedisPrefix: "civibot:", CityName: "Musterstadt", PrivacyURL: privacy, Retention: 30 * 24 * time.Hour,
		MaxMessageChars: 1000, Names: names{}, Count: h.outcomes.add, Log: h.log,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return ch
}

type names struct{}

func (names) DisplayName(_ context.Context, u string) (string, error) {
	if u == "anna" {
		return "Anna Berger", nil
	}
	return "", conversation.ErrNotFound
}

// start runs the channel (a fresh instance, as after a restart).
func (h *harness) start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx, cancel := context.WithCancel(bg)
	h.cancel, h.done = cancel, make(chan struct{})
	ch, done := h.ch, h.done
	go func() {
		defer close(done)
		if err := ch.Run(ctx); err != nil {
			h.t.Errorf("run: %v", err)
		}
	}()
}

// stop stops the running channel and waits for it.
func (h *harness) stop() {
	h.mu.Lock()
	cancel, done := h.cancel, h.done
	h.cancel = nil
	h.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		h.t.Fatal("the channel did not stop within 20s")
	}
}

// restart stops the channel and starts a new instance of it.
func (h *harness) restart() {
	h.stop()
	h.mu.Lock()
	h.ch = h.newChannel()
	h.mu.Unlock()
	h.start()
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	var port int
	fmt.Sscan(addr[i+1:], &port)
	return addr[:i], port
}

// msg is a mail a citizen writes.
type msg struct {
	from, subject, id, inReplyTo, refs string
	body                               string
	headers                            []string // extra "Key: value" lines
	raw                                string   // the whole mail, as is
}

// bytes renders the mail with CRLF line ends.
func (m msg) bytes() []byte {
	if m.raw != "" {
		return []byte(strings.ReplaceAll(strings.ReplaceAll(m.raw, "\r\n", "\n"), "\n", "\r\n"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: Bürger <%s>\nTo: %s\nSubject: %s\nDate: Mon, 02 Mar 2026 10:00:00 +0100\nMessage-ID: <%s>\n", m.from, botAddr, m.subject, m.id)
	if m.inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\n", m.inReplyTo)
	}
	if m.refs != "" {
		fmt.Fprintf(&b, "References: %s\n", m.refs)
	}
	for _, h := range m.headers {
		b.WriteString(h + "\n")
	}
	b.WriteString("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
	b.WriteString(m.body)
	b.WriteString("\n")
	return []byte(strings.ReplaceAll(b.String(), "\n", "\r\n"))
}

// deliver puts a mail into the bot's inbox.
func (h *harness) deliver(m msg) {
	h.t.Helper()
	h.imap.Deliver(h.t, botAddr, "INBOX", m.bytes())
}

// waitProcessed waits until n mails have been moved to the processed
// mailbox and the inbox is empty.
func (h *harness) waitProcessed(n int, within time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		in, done := h.imap.Count(h.t, botAddr, "INBOX"), h.imap.Count(h.t, botAddr, email.DefaultProcessedMailbox)
		if in == 0 && done >= n {
			if done > n {
				h.t.Fatalf("%d mails processed, want %d", done, n)
			}
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("after %v: %d mails in the inbox, %d processed, want 0 and %d\nlogs:\n%s", within, in, done, n, h.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sent is one mail the SMTP server accepted, parsed.
type sent struct {
	from, to     string
	header       mail.Header
	text, html   string
	contentType  string
	envelopeFrom string
	envelopeTo   []string
}

func (h *harness) sent() []sent {
	h.t.Helper()
	var out []sent
	for _, r := range h.smtp.Messages() {
		out = append(out, parseSent(h.t, r))
	}
	return out
}

func parseSent(t *testing.T, r mailtest.Received) sent {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("a sent mail does not parse: %v\n%s", err, r.Data)
	}
	s := sent{header: mr.Header, envelopeFrom: r.From, envelopeTo: r.To}
	s.contentType, _, _ = mr.Header.ContentType()
	if a, err := mr.Header.AddressList("From"); err == nil && len(a) > 0 {
		s.from = a[0].Address
	}
	if a, err := mr.Header.AddressList("To"); err == nil && len(a) > 0 {
		s.to = a[0].Address
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("a sent mail's part does not parse: %v", err)
		}
		b, _ := io.ReadAll(p.Body)
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		if ih, ok := p.Header.(*mail.InlineHeader); ok {
			ct, params, _ := ih.ContentType()
			if params["charset"] != "utf-8" {
				t.Errorf("part %s has charset %q, want utf-8", ct, params["charset"])
			}
			switch ct {
			case "text/plain":
				s.text = string(b)
			case "text/html":
				s.html = string(b)
			}
		}
	}
	return s
}

// waitSent waits until the SMTP server has accepted n mails.
func (h *harness) waitSent(n int) []sent {
	h.t.Helper()
	h.smtp.Wait(h.t, n, 30*time.Second)
	return h.sent()
}

// conversationOf finds the e-mail conversation of address with the given
// number of messages (there may be several).
func (h *harness) conversations(address string) []conversation.Conversation {
	h.t.Helper()
	all, err := h.store.List(bg, time.Time{}, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []conversation.Conversation
	for _, c := range all {
		if c.Channel == conversation.ChannelEmail && strings.EqualFold(c.Address, address) {
			out = append(out, c)
		}
	}
	return out
}

func (h *harness) messages(id string) []conversation.Message {
	h.t.Helper()
	ms, err := h.store.Messages(bg, id, 0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}
