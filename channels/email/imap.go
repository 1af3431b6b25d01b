package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// mailbox is one IMAP session on the configured mailbox.
type mailbox struct {
	c           *imapclient.Client
	cfg         IMAPConfig
	uidValidity uint32
	// news is signalled when the server reports new mail (EXISTS), during
	// IDLE or in any answer.
	news chan struct{}
}

// dialIMAP connects, logs in, makes sure the processed mailbox exists and
// selects the mailbox.
func dialIMAP(ctx context.Context, cfg IMAPConfig, tlsCfg *tls.Config) (*mailbox, error) {
	mb := &mailbox{cfg: cfg, news: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		TLSConfig: tlsCfg,
		Dialer:    &net.Dialer{Timeout: 20 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case mb.news <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	var (
		c   *imapclient.Client
		err error
	)
	switch cfg.Security {
	case SecurityTLS:
		c, err = imapclient.DialTLS(addr, opts)
	case SecuritySTARTTLS:
		c, err = imapclient.DialStartTLS(addr, opts)
	default:
		c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("email: imap connect %s: %w", addr, err)
	}
	mb.c = c
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	if err := c.Login(cfg.Username, cfg.Password).Wait(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("email: imap login: %w", errLogin{err})
	}
	if err := c.Create(cfg.ProcessedMailbox, nil).Wait(); err != nil {
		// It exists already (the usual case); a real problem shows in MOVE.
		var ie *imap.Error
		if !errors.As(err, &ie) {
			_ = c.Close()
			return nil, fmt.Errorf("email: imap create %s: %w", cfg.ProcessedMailbox, err)
		}
	}
	sel, err := c.Select(cfg.Mailbox, nil).Wait()
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("email: imap select %s: %w", cfg.Mailbox, err)
	}
	mb.uidValidity = sel.UIDValidity
	return mb, nil
}

// errLogin marks a refused login (wrong credentials): worth a louder log.
type errLogin struct{ err error }

func (e errLogin) Error() string { return "login refused: " + e.err.Error() }
func (e errLogin) Unwrap() error { return e.err }

func (mb *mailbox) close() {
	_ = mb.c.Logout().Wait()
	_ = mb.c.Close()
}

// pending lists the mail waiting in the mailbox, oldest first: everything
// there that is not deleted (handled mail has been moved out).
func (mb *mailbox) pending(ctx context.Context) ([]imap.UID, error) {
	stop := context.AfterFunc(ctx, func() { _ = mb.c.Close() })
	defer stop()
	data, err := mb.c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("email: imap search: %w", err)
	}
	return data.AllUIDs(), nil
}

// fetched is what is known of one mail before it is read.
type fetched struct {
	uid      imap.UID
	answered bool
	size     int64
}

// fetch streams one mail to read (the whole message, without marking it
// seen): read must consume it. A mail expunged meanwhile gives ok=false.
func (mb *mailbox) fetch(ctx context.Context, uid imap.UID, read func(f fetched, r io.Reader) error) (ok bool, err error) {
	stop := context.AfterFunc(ctx, func() { _ = mb.c.Close() })
	defer stop()
	cmd := mb.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{
		UID: true, Flags: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	})
	msg := cmd.Next()
	if msg == nil {
		return false, cmd.Close()
	}
	f := fetched{uid: uid}
	var readErr error
	read1 := false
	for {
		item := msg.Next()
		if item == nil {
			break
		}
		switch it := item.(type) {
		case imapclient.FetchItemDataFlags:
			for _, fl := range it.Flags {
				if fl == imap.FlagAnswered {
					f.answered = true
				}
			}
		case imapclient.FetchItemDataRFC822Size:
			f.size = it.Size
		case imapclient.FetchItemDataBodySection:
			if it.Literal != nil && !read1 {
				read1 = true
				readErr = read(f, it.Literal)
				_, _ = io.Copy(io.Discard, it.Literal)
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return false, fmt.Errorf("email: imap fetch %d: %w", uid, err)
	}
	if !read1 {
		return false, nil
	}
	return true, readErr
}

// markAnswered sets \Answered: the mail was answered (shown in mail
// programs; a restart does not answer it again).
func (mb *mailbox) markAnswered(ctx context.Context, uid imap.UID) error {
	stop := context.AfterFunc(ctx, func() { _ = mb.c.Close() })
	defer stop()
	if err := mb.c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagAnswered}}, nil).Close(); err != nil {
		return fmt.Errorf("email: imap mark answered: %w", err)
	}
	return nil
}

// done moves a handled mail to the processed mailbox (MOVE, or COPY and
// expunge on servers without it).
func (mb *mailbox) done(ctx context.Context, uid imap.UID) error {
	stop := context.AfterFunc(ctx, func() { _ = mb.c.Close() })
	defer stop()
	set := imap.UIDSetNum(uid)
	if mb.c.Caps().Has(imap.CapMove) {
		if _, err := mb.c.Move(set, mb.cfg.ProcessedMailbox).Wait(); err != nil {
			return fmt.Errorf("email: imap move to %s: %w", mb.cfg.ProcessedMailbox, err)
		}
		return nil
	}
	if _, err := mb.c.Copy(set, mb.cfg.ProcessedMailbox).Wait(); err != nil {
		return fmt.Errorf("email: imap copy to %s: %w", mb.cfg.ProcessedMailbox, err)
	}
	if err := mb.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		return fmt.Errorf("email: imap delete after copy: %w", err)
	}
	if mb.c.Caps().Has(imap.CapUIDPlus) {
		if err := mb.c.UIDExpunge(set).Close(); err != nil {
			return fmt.Errorf("email: imap expunge: %w", err)
		}
		return nil
	}
	if err := mb.c.Expunge().Close(); err != nil {
		return fmt.Errorf("email: imap expunge: %w", err)
	}
	return nil
}

// maxIdle is how long one IDLE lasts before it is renewed (servers drop
// idle connections after 30 minutes, RFC 2177).
const maxIdle = 20 * time.Minute

// wait waits for new mail: with IDLE until the server reports some, at most
// max; without it max, then a NOOP (which also brings news).
func (mb *mailbox) wait(ctx context.Context, useIdle bool, max time.Duration) error {
	select {
	case <-mb.news:
		return nil // news arrived in an earlier answer
	default:
	}
	if !useIdle || !mb.c.Caps().Has(imap.CapIdle) {
		t := time.NewTimer(max)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		stop := context.AfterFunc(ctx, func() { _ = mb.c.Close() })
		defer stop()
		if err := mb.c.Noop().Wait(); err != nil && ctx.Err() == nil {
			return fmt.Errorf("email: imap noop: %w", err)
		}
		return nil
	}
	idle, err := mb.c.Idle()
	if err != nil {
		return fmt.Errorf("email: imap idle: %w", err)
	}
	t := time.NewTimer(min(max, maxIdle))
	defer t.Stop()
	var closed <-chan struct{} = mb.c.Closed()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-mb.news:
		// Let the next pass see it.
		select {
		case mb.news <- struct{}{}:
		default:
		}
	case <-closed:
		return errors.New("email: imap connection closed during idle")
	}
	if err := idle.Close(); err != nil {
		return fmt.Errorf("email: imap end idle: %w", err)
	}
	if err := idle.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("email: imap idle: %w", err)
	}
	return nil
}

// tlsConfig builds the TLS settings for a server: the system's CAs, or the
// ones in caFile.
func tlsConfig(host, caFile string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("email: ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("email: ca file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
