package web_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/internal/browsertest"
)

// tcpProxy forwards connections to target; it can drop every open
// connection and refuse new ones, like a network outage.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.cut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *tcpProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// cut drops all connections; down refuses new ones until cut(false).
func (p *tcpProxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	for c := range p.conns {
		c.Close()
	}
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func (p *tcpProxy) url() string { return "http://" + p.ln.Addr().String() }

// TestWidgetReconnects drops the network under an open chat: the widget
// shows the reconnect banner, reconnects by itself, gets what was said
// meanwhile once, and a message typed while offline is sent once.
func TestWidgetReconnects(t *testing.T) {
	s := newStack(t)
	proxy := newTCPProxy(t, strings.TrimPrefix(s.civibot.URL, "http://"))
	s.widgetBase.Store(proxy.url())
	ctx := context.Background()
	if _, err := s.accounts.AddUser(ctx, "ben", "Ben Weber", accounts.RoleCaseworker, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := s.desk.Heartbeat(ctx, "ben"); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	p.Do(chromedp.Navigate(s.city.URL))
	p.WaitFor("the chat bubble", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
	p.Click(".cb-bubble")
	p.Click(".cb-notice .cb-button")
	p.Click(".cb-action") // talk to a person
	p.WaitFor("the queue position", `return R.querySelector('.cb-handoff').textContent.includes('Position 1');`)
	id := s.conversations(t)[0].ID
	if _, err := s.desk.Claim(ctx, id, "ben"); err != nil {
		t.Fatal(err)
	}
	p.WaitFor("the claim", `return R.querySelector('.cb-handoff').textContent.includes('jetzt für Sie da');`)

	proxy.cut(true)
	p.WaitFor("the reconnect banner", `const b = R.querySelector('.cb-banner'); return !b.hidden && b.textContent.includes('Verbindung unterbrochen');`)
	b.Screenshot(t, p.Ctx, "widget-reconnecting")
	// Said while the citizen is offline, and typed while offline.
	if _, err := s.desk.Reply(ctx, id, "ben", "Sind Sie noch da?"); err != nil {
		t.Fatal(err)
	}
	p.Click(".cb-input")
	p.Keys("Ja, ich bin noch da." + "\r")
	p.WaitFor("the pending message", `return !!R.querySelector('.cb-pending');`)

	proxy.restore()
	p.WaitFor("the reconnect", `return R.querySelector('.cb-banner').hidden && !R.querySelector('.cb-pending');`)
	p.WaitFor("the missed message", `return [...R.querySelectorAll('.cb-caseworker .cb-text')].some(e => e.textContent === 'Sind Sie noch da?');`)
	if n := browsertest.Eval[int](p, `[...`+root+`.querySelectorAll('.cb-text')].filter(e => e.textContent === 'Ja, ich bin noch da.').length`); n != 1 {
		t.Errorf("offline message shown %d times", n)
	}
	msgs, err := s.store.Messages(ctx, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var stored int
	for _, m := range msgs {
		if m.Text == "Ja, ich bin noch da." {
			stored++
		}
	}
	if stored != 1 {
		t.Errorf("offline message stored %d times", stored)
	}
	// Every seq once, in order.
	seqs := browsertest.Eval[[]float64](p, `[...`+root+`.querySelectorAll('.cb-msg[data-seq]')].map(e => Number(e.dataset.seq))`)
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("transcript seqs %v: not once each, in order", seqs)
		}
	}
	if len(seqs) != len(msgs) {
		t.Errorf("transcript shows %d messages, the store has %d", len(seqs), len(msgs))
	}
	p.NoErrors()
}

// TestWidgetForget ends and deletes the chat from the widget: the browser's confirm
// dialog is accepted, the conversation is gone from the store, the widget
// says so and starts afresh with a new token.
func TestWidgetForget(t *testing.T) {
	s := newStack(t)
	b := browsertest.Start(t, browsertest.Options{Lang: "de-DE"})
	p := newPage(t, b)
	dialogs := chromedp.Events(p.Ctx, cdppage.JavascriptDialogOpening)
	p.Do(chromedp.Navigate(s.city.URL))
	p.WaitFor("the chat bubble", `return !!R.querySelector('.cb-bubble') && !R.querySelector('.cb').hidden;`)
	p.Click(".cb-bubble")
	p.Click(".cb-notice .cb-button")
	p.Click(".cb-input")
	ask(t, p, "Wie melde ich meinen Hund an?")
	before := browsertest.Eval[string](p, `JSON.parse(localStorage.getItem('civibot:`+s.civibot.URL+`')).token`)
	if len(s.conversations(t)) != 1 {
		t.Fatal("no conversation stored")
	}

	// Accept the confirm dialog when it opens.
	accepted := make(chan string, 1)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			_ = chromedp.Do(p.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
				return err
			}))
			accepted <- ev.Message
			return
		}
	}()
	p.ClickLast(".cb-action") // "Chat beenden"
	select {
	case msg := <-accepted:
		if msg != "Chat beenden? Der Verlauf wird gelöscht, auf diesem Gerät und bei der Stadt." {
			t.Errorf("confirm text = %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no confirm dialog")
	}
	p.WaitFor("the notice of deletion", `return [...R.querySelectorAll('.cb-system .cb-text')].some(e => e.textContent === 'Ihr Chat wurde beendet und gelöscht.') && R.querySelectorAll('.cb-msg[data-seq]').length === 0;`)
	waitStored(t, "the conversation to be deleted", func() bool { return len(s.conversations(t)) == 0 })
	p.WaitFor("a new token", `const s = JSON.parse(localStorage.getItem('civibot:`+s.civibot.URL+`') || '{}'); return !!s.token && s.token !== `+strconv.Quote(before)+`;`)
	// The chat goes on, as a new conversation.
	p.Click(".cb-input")
	ask(t, p, "Hallo")
	if n := len(s.conversations(t)); n != 1 {
		t.Errorf("%d conversations after a new question, want 1", n)
	}
	p.NoErrors()
}
