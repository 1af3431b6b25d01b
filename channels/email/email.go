// Package email is the e-mail channel: citizens write to the city's
// mailbox, civibot answers by mail in the same thread.
//
// Inbound mail is read over IMAP (IDLE where the server offers it, polling
// otherwise). With Redis, the instances share a lock
// (internal/redislock) so that one reads the mailbox at a time. Each mail
// is parsed with go-message (MIME, charsets, HTML-only mail read as text,
// attachments listed but not read), checked for automatic mail
// (auto-replies, bounces, lists, noreply senders: never answered), threaded
// into its conversation by Message-ID / In-Reply-To / References, stripped
// of quoted earlier mail and signatures, and handed to the dialog service.
// The answer goes out over SMTP with In-Reply-To, References and
// Auto-Submitted: auto-replied, as plain text and simple HTML, with the AI
// disclosure and the privacy notice. Then the mail is flagged \Answered and
// moved to the processed mailbox.
//
// A restart neither loses nor repeats a mail: a mail stays in the mailbox
// until it is handled; handling it again is harmless, because the dialog
// service stores a mail once (its client id is the Message-ID) and every
// answer is sent once (an idempotency key per stored message, marked after
// the server accepted it) — with the memory store the \Answered flag
// guards what a lost store cannot.
//
// Caseworker replies from the console go out through Send (the
// channels.Sender for conversation.ChannelEmail), in the citizen's thread.
//
// Addresses and mail text are personal data: logs name conversation ids
// and outcomes only.
package email

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message/mail"
	"github.com/redis/go-redis/v9"

	"github.com/civibot/civibot/channels"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
	"github.com/civibot/civibot/internal/redislock"
)

// Service is what the channel needs of dialog.Service: the dialog turns,
// and what the channel keeps beside them — a mail it does not answer (over
// the sender's daily limit) is recorded, the attachments a mail brought are
// noted for the caseworkers, and the sender's address becomes the contact
// of a callback ticket.
type Service interface {
	Handle(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error)
	Record(ctx context.Context, in dialog.Inbound) (dialog.Outcome, error)
	Conversation(ctx context.Context, conversationID string) (conversation.Conversation, error)
	Messages(ctx context.Context, conversationID string, after int64) ([]conversation.Message, error)
	Note(ctx context.Context, conversationID, author, text string) error
	Ticket(ctx context.Context, conversationID string, c conversation.Contact) error
}

var (
	_ Service         = (*dialog.Service)(nil)
	_ channels.Sender = (*Channel)(nil)
)

// Threads keeps the mail thread on the conversation record (the subject
// and message ids a caseworker's reply refers to). It is the conversation
// store's Update; the channel changes nothing but Thread (the dialog
// service has no operation for a channel's own field of the record).
type Threads interface {
	Update(ctx context.Context, id string, fn func(*conversation.Conversation) error) (conversation.Conversation, error)
}

// Names shows caseworkers by their display name in the signature of their
// replies.
type Names interface {
	DisplayName(ctx context.Context, username string) (string, error)
}

// Options are the channel's collaborators.
type Options struct {
	Service     Service
	Threads     Threads
	Idempotency conversation.Idempotency
	// Key is the installation key for conversation ids.
	Key []byte
	// Redis, when set, holds the mailbox lock (one instance reads) and the
	// per-sender daily counts; without it this instance reads alone and
	// counts in memory.
	Redis       redis.UniversalClient
	RedisPrefix string
	// CityName and PrivacyURL appear in every bot reply; Retention is told
	// there too (0: not told).
	CityName   string
	PrivacyURL string
	Retention  time.Duration
	// DefaultLanguage of the channel's own texts ("de" or "en").
	DefaultLanguage string
	// MaxMessageChars is the dialog service's limit: longer mail is cut.
	MaxMessageChars int
	Names           Names
	// Count, when set, is told each mail's outcome (metrics).
	Count func(outcome string)
	// TLS replaces the TLS settings of both servers (tests).
	TLS *tls.Config
	Log *slog.Logger
	Now func() time.Time
}

// Outcomes of one mail, for Count and the log.
const (
	OutcomeAnswered  = "answered"  // the bot answered
	OutcomeForwarded = "forwarded" // a caseworker has the conversation: stored, not answered
	OutcomeLimit     = "limit"     // the sender's daily answers are used up
	OutcomeNotice    = "notice"    // empty or unreadable: the sender was told
	OutcomeFailed    = "failed"    // could not be handled now; tried again
	OutcomeIgnored   = "ignored"   // automatic mail (prefix of the skip reason)
)

// Channel reads the mailbox and sends mail.
type Channel struct {
	cfg              Config
	o                Options
	from             *mail.Address
	domain           string
	imapTLS, smtpTLS *tls.Config
	smtp             *submitter
	limit            counter
	log              *slog.Logger
	now              func() time.Time
}

// New builds the channel. cfg is validated (defaults applied).
func New(cfg Config, o Options) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("email: config: %w", err)
	}
	cfg = cfg.withDefaults()
	if o.Service == nil || o.Threads == nil || o.Idempotency == nil {
		return nil, errors.New("email: new: service, threads and idempotency are required")
	}
	if len(o.Key) < 16 {
		return nil, errors.New("email: new: the installation key must be at least 16 bytes")
	}
	if cfg.Address == "" || cfg.IMAP.Host == "" || cfg.SMTP.Host == "" {
		return nil, errors.New("email: new: email.address, email.imap.host and email.smtp.host are required")
	}
	c := &Channel{cfg: cfg, o: o, log: o.Log, now: o.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.o.DefaultLanguage != "en" {
		c.o.DefaultLanguage = "de"
	}
	if c.o.MaxMessageChars <= 0 {
		c.o.MaxMessageChars = dialog.DefaultMaxMessageChars
	}
	name := cfg.Name
	if name == "" {
		name = "Stadt " + o.CityName + " – digitaler Assistent"
		if o.CityName == "" {
			name = "Digitaler Assistent"
		}
	}
	c.from = &mail.Address{Name: name, Address: cfg.Address}
	c.domain = cfg.Address[strings.LastIndex(cfg.Address, "@")+1:]
	var err error
	if c.imapTLS, err = tlsConfig(cfg.IMAP.Host, cfg.IMAP.CAFile); err != nil {
		return nil, err
	}
	if c.smtpTLS, err = tlsConfig(cfg.SMTP.Host, cfg.SMTP.CAFile); err != nil {
		return nil, err
	}
	if o.TLS != nil {
		c.imapTLS, c.smtpTLS = o.TLS.Clone(), o.TLS.Clone()
	}
	c.smtp = &submitter{cfg: cfg.SMTP, tls: c.smtpTLS, from: cfg.Address}
	if o.Redis != nil {
		c.limit = &redisCounter{rdb: o.Redis, prefix: o.RedisPrefix + "email:count:"}
	} else {
		c.limit = newMemCounter()
	}
	return c, nil
}

func (c *Channel) language(lang string) string {
	if lang == "de" || lang == "en" {
		return lang
	}
	return c.o.DefaultLanguage
}

func (c *Channel) count(outcome string) {
	if c.o.Count != nil {
		c.o.Count(outcome)
	}
}

// Run reads the mailbox until ctx ends. With Redis it first takes the
// mailbox lock; the others wait and take over when the holder stops or
// dies. Connection failures are logged once and retried with backoff.
func (c *Channel) Run(ctx context.Context) error {
	if c.o.Redis == nil {
		c.read(ctx)
		return nil
	}
	sum := sha256.Sum256([]byte(strings.ToLower(c.cfg.Address) + "\x00" + c.cfg.IMAP.Host + "\x00" + c.cfg.IMAP.Mailbox))
	lock, err := redislock.New(c.o.Redis, c.o.RedisPrefix+"email:lock:"+hex.EncodeToString(sum[:8]), c.cfg.LockTTL)
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	warned := false
	for ctx.Err() == nil {
		ok, err := lock.Acquire(ctx)
		if err != nil && ctx.Err() == nil && !warned {
			c.log.WarnContext(ctx, "email: mailbox lock unavailable, retrying", "error", err)
			warned = true
		}
		if !ok {
			sleep(ctx, c.cfg.LockTTL/3)
			continue
		}
		warned = false
		c.log.InfoContext(ctx, "email: this instance reads the mailbox")
		hctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cancel()
			if err := lock.Keep(hctx); err != nil {
				c.log.WarnContext(ctx, "email: mailbox lock lost, stopping to read", "error", err)
			}
		}()
		c.read(hctx)
		cancel()
		wg.Wait()
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := lock.Release(rctx); err != nil {
			c.log.WarnContext(ctx, "email: release mailbox lock failed (it expires by itself)", "error", err)
		}
		rcancel()
	}
	return nil
}

// read keeps an IMAP session going until ctx ends.
func (c *Channel) read(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		err := c.session(ctx)
		if ctx.Err() != nil {
			return
		}
		failures++
		if failures == 1 || failures%20 == 0 {
			msg := "email: mailbox unavailable, retrying"
			var le errLogin
			if errors.As(err, &le) {
				msg = "email: the imap server refused the login (check email.imap.username and the password), retrying"
			}
			c.log.WarnContext(ctx, msg, "error", err, "failures", failures)
		}
		wait := time.Second << min(failures-1, 6)
		sleep(ctx, min(wait, time.Minute))
	}
}

// retryWait is how soon a mail that failed for now is tried again.
const retryWait = 15 * time.Second

// session is one IMAP connection: handle what waits, then wait for news.
func (c *Channel) session(ctx context.Context) error {
	mb, err := dialIMAP(ctx, c.cfg.IMAP, c.imapTLS)
	if err != nil {
		return err
	}
	defer mb.close()
	c.log.InfoContext(ctx, "email: mailbox connected", "idle", c.cfg.IMAP.idle() && mb.c.Caps().Has(imap.CapIdle))
	for ctx.Err() == nil {
		failed, err := c.pass(ctx, mb)
		if err != nil {
			return err
		}
		wait := c.cfg.IMAP.PollInterval
		if failed {
			wait = min(wait, retryWait)
		}
		if c.cfg.IMAP.idle() && mb.c.Caps().Has(imap.CapIdle) && !failed {
			wait = maxIdle
		}
		if err := mb.wait(ctx, c.cfg.IMAP.idle(), wait); err != nil {
			return err
		}
	}
	return nil
}

// pass handles every mail waiting in the mailbox, oldest first. A mail that
// fails for now stays for a later pass (failed=true); an IMAP error ends
// the session.
func (c *Channel) pass(ctx context.Context, mb *mailbox) (failed bool, err error) {
	uids, err := mb.pending(ctx)
	if err != nil {
		return false, err
	}
	for _, uid := range uids {
		if ctx.Err() != nil {
			return failed, nil
		}
		ok, err := c.one(ctx, mb, uid)
		if err != nil {
			return failed, err
		}
		if !ok {
			failed = true
		}
	}
	return failed, nil
}

// one handles one mail. ok=false: it failed for now and stays in the
// mailbox; err: the IMAP session broke.
func (c *Channel) one(ctx context.Context, mb *mailbox, uid imap.UID) (ok bool, err error) {
	hctx, cancel := context.WithTimeout(ctx, c.cfg.HandleTimeout)
	defer cancel()
	var (
		in       *inbound
		perr     error
		answered bool
	)
	found, ferr := mb.fetch(hctx, uid, func(f fetched, r io.Reader) error {
		answered = f.answered
		in, perr = parse(r)
		return nil
	})
	if ferr != nil {
		return false, ferr
	}
	if !found {
		return true, nil // gone meanwhile (another mail program moved it)
	}
	key := fmt.Sprintf("uid:%d:%d", mb.uidValidity, uid)
	if in != nil && in.MessageID != "" {
		key = "id:" + in.MessageID
	}
	sum := sha256.Sum256([]byte(strings.ToLower(c.cfg.Address) + "\x00" + key))
	mailKey := hex.EncodeToString(sum[:16])
	lease := "email:in:" + mailKey
	fresh, err := c.o.Idempotency.Begin(hctx, lease, c.cfg.HandleTimeout+30*time.Second)
	if err != nil {
		c.log.WarnContext(ctx, "email: idempotency unavailable; the mail waits", "error", err)
		c.count(OutcomeFailed)
		return false, nil
	}
	if !fresh {
		return false, nil // another worker's lease (a crashed holder's expires)
	}
	res, herr := c.handle(hctx, in, perr, mailKey, answered)
	if aerr := c.o.Idempotency.Abandon(context.WithoutCancel(hctx), lease); aerr != nil {
		c.log.WarnContext(ctx, "email: release mail lease failed", "error", aerr)
	}
	if herr != nil {
		c.log.WarnContext(ctx, "email: mail not handled now; tried again later", "conversation_id", res.conv, "error", herr)
		c.count(OutcomeFailed)
		return false, nil
	}
	if res.answered && !answered {
		if err := mb.markAnswered(hctx, uid); err != nil {
			return false, err
		}
	}
	if err := mb.done(hctx, uid); err != nil {
		return false, err
	}
	c.count(res.outcome)
	c.log.InfoContext(ctx, "email: mail handled", "conversation_id", res.conv, "outcome", res.outcome,
		"html_only", in != nil && in.HTMLOnly, "attachments", attachmentCount(in), "broken", in != nil && len(in.Broken) > 0)
	return true, nil
}

func attachmentCount(in *inbound) int {
	if in == nil {
		return 0
	}
	return len(in.Attachments)
}

// result is what became of one mail.
type result struct {
	conv     string
	outcome  string
	answered bool // a mail went to the sender
}

// handle decides what one parsed mail gets. It is safe to run again for
// the same mail: the service stores it once and each answer is sent once.
func (c *Channel) handle(ctx context.Context, in *inbound, perr error, mailKey string, wasAnswered bool) (result, error) {
	if in == nil {
		// Not even a header: nobody to answer. It stays in the processed
		// mailbox for staff.
		c.log.WarnContext(ctx, "email: unreadable mail moved without answer", "error", perr)
		return result{outcome: OutcomeIgnored + "_unreadable"}, nil
	}
	if errors.Is(perr, errNoSender) {
		return result{outcome: OutcomeIgnored + "_no_sender"}, nil
	}
	if why := automatic(in, c.cfg.Address); why != "" {
		return result{outcome: OutcomeIgnored + "_" + why}, nil
	}
	conv, exists, err := c.conversation(ctx, in)
	if err != nil {
		return result{}, err
	}
	res := result{conv: conv.ID}
	lang := c.language(conv.Language)
	if wasAnswered {
		// Answered before a restart that lost the store: do not answer again.
		res.outcome = OutcomeAnswered
		return res, nil
	}

	question, notes := c.question(in, exists, lang)
	if question == "" {
		text := textsFor(lang).Empty
		if len(in.Broken) > 0 {
			text = textsFor(lang).Unreadable
		}
		txt, htm := c.noticeBody(lang, text)
		sent, err := c.sendOnce(ctx, "email:notice:"+mailKey, in, conv, outMail{
			MessageID: fmt.Sprintf("civibot.notice.%s@%s", mailKey[:24], c.domain), Auto: true, Language: lang, Text: txt, HTML: htm,
		})
		res.outcome, res.answered = OutcomeNotice, sent
		return res, err
	}

	if !exists || conv.Status != conversation.StatusClaimed {
		allowed, err := c.takeAnswer(ctx, in.From, mailKey)
		if err != nil {
			return res, err
		}
		if allowed != answerAllowed {
			res.outcome = OutcomeLimit
			// Kept for the caseworkers, not answered.
			if _, err := c.o.Service.Record(ctx, c.inbound(conv, in, question, mailKey)); err != nil && !errors.Is(err, dialog.ErrEmptyMessage) {
				return res, fmt.Errorf("email: record mail over the limit: %w", err)
			}
			c.log.WarnContext(ctx, "email: daily answer limit of the sender reached; not answered",
				"conversation_id", conv.ID, "limit", c.cfg.AnswersPerDay, "notice", allowed == answerNotice)
			if allowed == answerNotice {
				txt, htm := c.noticeBody(lang, fmt.Sprintf(textsFor(lang).DailyLimit, c.cfg.AnswersPerDay))
				sent, err := c.sendOnce(ctx, "email:notice:"+mailKey, in, conv, outMail{
					MessageID: fmt.Sprintf("civibot.notice.%s@%s", mailKey[:24], c.domain), Auto: true, Language: lang, Text: txt, HTML: htm,
				})
				res.answered = sent
				return res, err
			}
			return res, nil
		}
	}

	if exists {
		question = c.pickOption(ctx, conv, question)
	}
	out, err := c.o.Service.Handle(ctx, c.inbound(conv, in, question, mailKey))
	if err != nil {
		return res, fmt.Errorf("email: dialog: %w", err)
	}
	// Keep the thread for the answers and for caseworker replies.
	conv, err = c.o.Threads.Update(ctx, conv.ID, func(cv *conversation.Conversation) error {
		cv.Thread = nextThread(cv.Thread, in)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("email: keep thread: %w", err)
	}
	if out.Queue != nil && out.Queue.Ticket {
		// Nobody can come now: the caseworker answers this address later.
		if err := c.o.Service.Ticket(ctx, conv.ID, conversation.Contact{Email: in.From, Note: "E-Mail"}); err != nil {
			c.log.ErrorContext(ctx, "email: record the callback address failed", "conversation_id", conv.ID, "error", err)
		}
	}
	if len(in.Attachments) > 0 && !out.Duplicate {
		// The caseworker sees what came with the mail (it is in the
		// processed mailbox).
		if err := c.o.Service.Note(ctx, conv.ID, noteAuthor, "E-Mail attachments, not read by the assistant: "+attachmentList(in.Attachments)); err != nil {
			c.log.WarnContext(ctx, "email: note attachments failed", "conversation_id", conv.ID, "error", err)
		}
	}
	if len(out.Replies) == 0 {
		res.outcome = OutcomeForwarded
		return res, nil
	}
	res.outcome = OutcomeAnswered
	for _, m := range out.Replies {
		txt, htm := c.botBody(m, notes)
		sent, err := c.sendOnce(ctx, "email:out:"+m.ID+":"+m.At.UTC().Format(time.RFC3339Nano), in, conv, outMail{
			MessageID: messageID(conv.ID, m, c.domain), Auto: true, Language: c.language(m.Language), Text: txt, HTML: htm, Date: m.At,
		})
		if err != nil {
			return res, err
		}
		res.answered = res.answered || sent
	}
	return res, nil
}

// inbound is the mail as the dialog service gets it: idempotent on the
// mail (its Message-ID), with the mail's Content-Language as a hint.
func (c *Channel) inbound(conv conversation.Conversation, in *inbound, text, mailKey string) dialog.Inbound {
	hint := ""
	if in.Language == "de" || in.Language == "en" {
		hint = in.Language
	}
	return dialog.Inbound{
		ConversationID: conv.ID, Channel: conversation.ChannelEmail, Address: in.From,
		ClientID: "mail:" + mailKey, Text: text, Language: hint, Style: dialog.StyleMail,
	}
}

// question is the text the engine gets: the mail's new text without quotes
// and signature, the subject first when it starts a conversation and says
// something, cut to the service's limit; notes are what the answer adds
// (attachments not read, text shortened).
func (c *Channel) question(in *inbound, exists bool, lang string) (string, []string) {
	t := textsFor(lang)
	body := stripQuoted(in.Text)
	var notes []string
	if subj := subjectText(in.Subject); !exists && !genericSubject(subj) && !strings.Contains(strings.ToLower(body), strings.ToLower(subj)) {
		body = strings.TrimSpace(subj + "\n\n" + body)
	}
	if len(in.Attachments) > 0 {
		notes = append(notes, fmt.Sprintf(t.Attachments, attachmentList(in.Attachments)))
	}
	if n := c.o.MaxMessageChars; utf8.RuneCountInString(body) > n {
		r := []rune(body)
		cut := n - 2
		for i := cut; i > n*3/4; i-- {
			if r[i] == ' ' || r[i] == '\n' {
				cut = i
				break
			}
		}
		body = strings.TrimSpace(string(r[:cut])) + " …"
		notes = append(notes, fmt.Sprintf(t.Shortened, n))
	}
	return body, notes
}

// conversation finds the conversation a mail continues (a thread civibot
// answered in, from the same sender) or names a new one; exists tells
// which.
func (c *Channel) conversation(ctx context.Context, in *inbound) (conversation.Conversation, bool, error) {
	ids := c.candidates(in)
	for _, id := range ids {
		conv, err := c.o.Service.Conversation(ctx, id)
		if errors.Is(err, conversation.ErrNotFound) {
			continue
		}
		if err != nil {
			return conv, false, err
		}
		if conv.Channel == conversation.ChannelEmail && strings.EqualFold(conv.Address, in.From) {
			return conv, true, nil
		}
	}
	return conversation.Conversation{ID: ids[len(ids)-1], Channel: conversation.ChannelEmail, Address: in.From}, false, nil
}

// pickOption turns a reply "2" to a numbered choice into that choice.
func (c *Channel) pickOption(ctx context.Context, conv conversation.Conversation, text string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	first = strings.Trim(first, " .)")
	if len(first) != 1 || first[0] < '1' || first[0] > '9' || conv.LastSeq == 0 {
		return text
	}
	n := int(first[0] - '0')
	msgs, err := c.o.Service.Messages(ctx, conv.ID, max(0, conv.LastSeq-4))
	if err != nil {
		return text
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Role == conversation.RoleCitizen {
			break
		}
		if m.Role == conversation.RoleBot {
			if m.Decision != nil && m.Decision.Kind == dialog.KindClarify && n <= len(m.QuickReplies) {
				return m.QuickReplies[n-1].Payload
			}
			break
		}
	}
	return text
}

// sendOnce sends a reply to the mail in once: a key marks it sent after the
// server accepted it. sent=false: it had been sent before.
func (c *Channel) sendOnce(ctx context.Context, key string, in *inbound, conv conversation.Conversation, o outMail) (bool, error) {
	fresh, err := c.o.Idempotency.Begin(ctx, key, c.cfg.HandleTimeout+c.cfg.SMTP.Timeout)
	if err != nil {
		return false, fmt.Errorf("email: idempotency: %w", err)
	}
	if !fresh {
		return false, nil
	}
	th := nextThread(conv.Thread, in)
	o.To = in.From
	if in.ReplyTo != "" && automatic(&inbound{From: in.ReplyTo}, c.cfg.Address) == "" && strings.EqualFold(in.ReplyTo, in.From) {
		o.To = in.ReplyTo
	}
	o.Subject = c.replySubject(th, o.Language)
	o.InReplyTo = th.Last
	o.References = references(th)
	if o.Date.IsZero() {
		o.Date = c.now()
	}
	raw, err := o.bytes(c.from)
	if err == nil {
		// A send under way finishes even when civibot is stopping (within
		// email.smtp.timeout): cut off after the server took the mail, the
		// answer would be sent again after the restart.
		err = c.smtp.send(context.WithoutCancel(ctx), o.To, raw)
	}
	if errors.Is(err, ErrRejected) {
		// Refused for good (a dead address): not sent again.
		c.log.WarnContext(ctx, "email: answer refused by the mail server", "conversation_id", conv.ID, "error", err)
		if derr := c.o.Idempotency.Done(context.WithoutCancel(ctx), key, sentKeep); derr != nil {
			c.log.WarnContext(ctx, "email: remember refused answer failed", "conversation_id", conv.ID, "error", derr)
		}
		return false, nil
	}
	if err != nil {
		if aerr := c.o.Idempotency.Abandon(context.WithoutCancel(ctx), key); aerr != nil {
			c.log.WarnContext(ctx, "email: release send lease failed", "conversation_id", conv.ID, "error", aerr)
		}
		return false, err
	}
	if err := c.o.Idempotency.Done(context.WithoutCancel(ctx), key, sentKeep); err != nil {
		c.log.WarnContext(ctx, "email: remember sent answer failed", "conversation_id", conv.ID, "error", err)
	}
	c.log.InfoContext(ctx, "email: answer sent", "conversation_id", conv.ID)
	return true, nil
}

// noteAuthor names the channel's notes in the console.
const noteAuthor = "email"

// sentKeep is how long a sent answer is remembered: longer than a mail can
// wait in the mailbox unhandled.
const sentKeep = 7 * 24 * time.Hour

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
