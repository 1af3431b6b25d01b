package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// submitter sends mail through the configured submission server, one
// connection per mail (a city's bot sends a few mails a minute).
type submitter struct {
	cfg  SMTPConfig
	tls  *tls.Config
	from string // envelope sender: the mailbox's address
}

// ErrRejected: the server refused the mail for good (5xx): a bad address,
// a mail too large, a policy. Sending it again does not help.
var ErrRejected = errors.New("email: the mail server refused the message")

func (s *submitter) send(ctx context.Context, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	d := &net.Dialer{Timeout: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("email: smtp connect %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var c *smtp.Client
	switch s.cfg.Security {
	case SecurityTLS:
		c = smtp.NewClient(tls.Client(conn, s.tls))
	case SecuritySTARTTLS:
		c, err = smtp.NewClientStartTLS(conn, s.tls)
		if err != nil {
			_ = conn.Close()
			return fmt.Errorf("email: smtp starttls: %w", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return fmt.Errorf("email: smtp auth: %w", err)
		}
	}
	if err := c.SendMail(s.from, []string{to}, bytes.NewReader(msg)); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) && se.Code >= 500 {
			return fmt.Errorf("%w: %d %d.%d.%d", ErrRejected, se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		return fmt.Errorf("email: smtp send: %w", err)
	}
	_ = c.Quit()
	return nil
}
