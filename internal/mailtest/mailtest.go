// Package mailtest runs real mail servers for tests, each on a free
// loopback port and stopped when the test ends:
//
//   - StartIMAP: Debian's Dovecot (dovecot-imapd), a full IMAP4rev1 server
//     with IDLE, MOVE and UIDPLUS, with STARTTLS on a certificate of the
//     test's own CA and PLAIN/LOGIN authentication from a password file;
//     mailboxes are Maildirs in a temp dir.
//   - StartSMTP: an SMTP submission server built on go-smtp's server
//     package (the protocol: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA,
//     size limits), which keeps what it accepts for the test to read.
//
// Dovecot is found as $DOVECOT_BIN, then dovecot on PATH, then
// /usr/sbin/dovecot; `make test` installs it when it is missing. A test that
// needs it fails (it does not skip) when there is none.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// CA is a test certificate authority and a server certificate it signed
// for 127.0.0.1 and localhost.
type CA struct {
	Pool    *x509.CertPool
	CertPEM []byte // the CA certificate (what a client trusts)
	leaf    tls.Certificate
	leafPEM []byte
	keyPEM  []byte
}

// NewCA makes a CA and a server certificate.
func NewCA(t testing.TB) *CA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "civibot test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{
		Pool:    x509.NewCertPool(),
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		leafPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}
	ca.Pool.AddCert(caCert)
	ca.leaf, err = tls.X509KeyPair(ca.leafPEM, ca.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// WriteCertFile writes the CA certificate to a file (for a ca_file option).
func (ca *CA) WriteCertFile(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, ca.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ClientTLS is a client TLS config that trusts the CA.
func (ca *CA) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// IMAP is one Dovecot process.
type IMAP struct {
	Addr  string
	CA    *CA
	dir   string
	bin   string
	users map[string]string
	cmd   *exec.Cmd
	done  chan struct{}
}

// StartIMAP starts Dovecot with the given users (address → password).
func StartIMAP(t testing.TB, ca *CA, users map[string]string) *IMAP {
	t.Helper()
	bin, err := dovecotBinary()
	if err != nil {
		t.Fatalf("mailtest: %v (install it: apt-get install dovecot-imapd, or run `make test`)", err)
	}
	// Dovecot's unprivileged processes must reach the directory, so it is
	// not t.TempDir (0700 parents).
	dir, err := os.MkdirTemp("", "civibot-imap-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &IMAP{Addr: freeAddr(t), CA: ca, dir: dir, bin: bin, users: users}
	s.configure(t)
	s.Start(t)
	t.Cleanup(s.kill)
	return s
}

func (s *IMAP) configure(t testing.TB) {
	t.Helper()
	internalUser, loginUser, group := currentUser(t)
	uid, gid := os.Getuid(), os.Getgid()
	mail := filepath.Join(s.dir, "mail")
	if err := os.MkdirAll(mail, 0o755); err != nil {
		t.Fatal(err)
	}
	if uid == 0 {
		// Dovecot refuses to run mail processes as root: the mail belongs
		// to the dovecot user.
		u, err := user.Lookup("dovecot")
		if err != nil {
			t.Fatalf("mailtest: running as root needs the dovecot user (apt-get install dovecot-imapd): %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		if err := os.Chown(mail, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	var pw bytes.Buffer
	names := make([]string, 0, len(s.users))
	for u := range s.users {
		names = append(names, u)
	}
	sort.Strings(names)
	for _, u := range names {
		fmt.Fprintf(&pw, "%s:{PLAIN}%s\n", u, s.users[u])
	}
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(s.dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	passwd := write("passwd", pw.Bytes(), 0o644)
	cert := write("cert.pem", s.CA.leafPEM, 0o644)
	key := write("key.pem", s.CA.keyPEM, 0o600)
	host, port, _ := net.SplitHostPort(s.Addr)
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = civibot-test-%[2]s
log_path = %[1]s/dovecot.log
protocols = imap
listen = %[3]s
ssl = yes
ssl_cert = <%[4]s
ssl_key = <%[5]s
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = %[6]s
default_internal_group = %[8]s
default_login_user = %[7]s
first_valid_uid = 1
mail_location = maildir:%[9]s/%%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[10]s
}
userdb {
  driver = static
  args = uid=%[11]d gid=%[12]d home=%[9]s/%%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = %[3]s
    port = %[2]s
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
namespace inbox {
  inbox = yes
  separator = /
}
`, s.dir, port, host, cert, key, internalUser, loginUser, group, mail, passwd, uid, gid)
	write("dovecot.conf", []byte(conf), 0o644)
}

// currentUser names the users Dovecot's helper processes run as: the
// packaged unprivileged users when the test runs as root, the test's own
// user otherwise.
func currentUser(t testing.TB) (internal, login, group string) {
	t.Helper()
	if os.Getuid() == 0 {
		return "dovecot", "dovenull", "dovecot"
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	return u.Username, u.Username, g.Name
}

// Start starts Dovecot (again, after Stop) on the same address and data.
func (s *IMAP) Start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(s.bin, "-F", "-c", filepath.Join(s.dir, "dovecot.conf"))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatalf("mailtest: start dovecot: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var name string
		for n := range s.users {
			name = n
			break
		}
		c, err := s.dial(name)
		if err == nil {
			_ = c.Logout().Wait()
			_ = c.Close()
			return
		}
		select {
		case <-s.done:
			t.Fatalf("mailtest: dovecot exited at start:\n%s", s.Log())
		default:
		}
		if time.Now().After(deadline) {
			s.kill()
			t.Fatalf("mailtest: dovecot on %s did not answer: %v\n%s", s.Addr, err, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops Dovecot (the mail stays), so a test can see what happens while
// the server is away.
func (s *IMAP) Stop(t testing.TB) {
	t.Helper()
	s.kill()
}

func (s *IMAP) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Log is Dovecot's log, for failure messages.
func (s *IMAP) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
	return string(b)
}

func (s *IMAP) dial(username string) (*imapclient.Client, error) {
	c, err := imapclient.DialStartTLS(s.Addr, &imapclient.Options{TLSConfig: s.CA.ClientTLS()})
	if err != nil {
		return nil, err
	}
	if err := c.Login(username, s.users[username]).Wait(); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// Client logs in as username; the connection is closed when the test ends.
func (s *IMAP) Client(t testing.TB, username string) *imapclient.Client {
	t.Helper()
	c, err := s.dial(username)
	if err != nil {
		t.Fatalf("mailtest: imap login %s: %v", username, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Deliver appends a raw message to a user's mailbox (as a delivery agent
// would), creating the mailbox if needed.
func (s *IMAP) Deliver(t testing.TB, username, mailbox string, raw []byte) {
	t.Helper()
	c, err := s.dial(username)
	if err != nil {
		t.Fatalf("mailtest: deliver: %v", err)
	}
	defer c.Close()
	if mailbox != "INBOX" {
		_ = c.Create(mailbox, nil).Wait()
	}
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("mailtest: deliver: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("mailtest: deliver: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("mailtest: deliver: %v", err)
	}
	_ = c.Logout().Wait()
}

// Count is the number of messages in a user's mailbox (0 when it does not
// exist).
func (s *IMAP) Count(t testing.TB, username, mailbox string) int {
	t.Helper()
	c, err := s.dial(username)
	if err != nil {
		t.Fatalf("mailtest: count: %v", err)
	}
	defer c.Close()
	data, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return 0
	}
	_ = c.Logout().Wait()
	return int(*data.NumMessages)
}

func dovecotBinary() (string, error) {
	if b := os.Getenv("DOVECOT_BIN"); b != "" {
		return b, nil
	}
	if b, err := exec.LookPath("dovecot"); err == nil {
		return b, nil
	}
	if _, err := os.Stat("/usr/sbin/dovecot"); err == nil {
		return "/usr/sbin/dovecot", nil
	}
	return "", errors.New("dovecot not found")
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: free port: %v", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// Received is one message the SMTP server accepted.
type Received struct {
	From string
	To   []string
	Data []byte
}

// SMTP is a submission server on go-smtp.
type SMTP struct {
	Addr     string
	CA       *CA
	Username string
	Password string

	srv     *smtp.Server
	mu      sync.Mutex
	msgs    []Received
	fail    int // refuse the next fail messages with a temporary error
	seen    chan struct{}
	hook    func(n int, data []byte) error
	offered int
}

// OnData sets a function called with each message before it is accepted
// (n counts from 1 over the messages offered); an error refuses it. Tests
// use it to stop another server or a client at an exact point.
func (s *SMTP) OnData(f func(n int, data []byte) error) {
	s.mu.Lock()
	s.hook = f
	s.mu.Unlock()
}

// StartSMTP starts a submission server that offers STARTTLS and requires
// AUTH PLAIN with username and password before it accepts mail.
func StartSMTP(t testing.TB, ca *CA, username, password string) *SMTP {
	t.Helper()
	s := &SMTP{CA: ca, Username: username, Password: password, seen: make(chan struct{}, 1)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{ca.leaf}, MinVersion: tls.VersionTLS12}
	s.srv.MaxMessageBytes = 50 << 20
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.EnableSMTPUTF8 = true
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: smtp listen: %v", err)
	}
	s.Addr = l.Addr().String()
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// FailNext makes the server refuse the next n messages (451, try later).
func (s *SMTP) FailNext(n int) {
	s.mu.Lock()
	s.fail = n
	s.mu.Unlock()
}

// Messages returns what the server accepted so far.
func (s *SMTP) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Wait waits until the server has accepted at least n messages.
func (s *SMTP) Wait(t testing.TB, n int, within time.Duration) []Received {
	t.Helper()
	deadline := time.After(within)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.seen:
		case <-deadline:
			t.Fatalf("mailtest: smtp got %d messages, want %d within %v", len(s.Messages()), n, within)
		}
	}
}

type session struct {
	s      *SMTP
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.Username || password != ss.s.Password {
			return errors.New("invalid username or password")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.offered++
	hook, n := ss.s.hook, ss.s.offered
	ss.s.mu.Unlock()
	if hook != nil {
		if err := hook(n, b); err != nil {
			return err
		}
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.fail > 0 {
		ss.s.fail--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.s.msgs = append(ss.s.msgs, Received{From: ss.from, To: append([]string(nil), ss.to...), Data: b})
	select {
	case ss.s.seen <- struct{}{}:
	default:
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }
