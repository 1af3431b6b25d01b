package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

type options struct {
	url, origin, lang string
	chats, dialers    int
	rate              float64
	duration, drain   time.Duration
	idle, pid         int
	hold              time.Duration
	// withConversation: each idle connection resumes a conversation with
	// one question and answer (what a reloaded page with a chat does).
	withConversation bool
}

// Questions the sample city answers from its pages.
var questions = map[string][]string{
	"de": {
		"Was kostet ein Personalausweis?",
		"Wie melde ich meinen Wohnsitz an?",
		"Wie melde ich meinen Hund an?",
		"Wie kann ich Sperrmüll anmelden?",
		"Wo beantrage ich einen Reisepass?",
		"Was brauche ich für die Ummeldung meines Autos?",
		"Wie bekomme ich einen Bewohnerparkausweis?",
		"Wie beantrage ich eine Geburtsurkunde?",
		"Wie lange dauert ein Führungszeugnis?",
		"Wie melde ich ein Gewerbe an?",
	},
	"en": {
		"How much is an ID card?",
		"How do I register my address?",
		"How do I register my dog?",
		"How can I book a bulky waste collection?",
		"Where do I apply for a passport?",
		"How do I get a residents' parking permit?",
		"How do I get a birth certificate?",
		"How do I register a business?",
	},
}

func questionsFor(lang string) []string {
	if lang == "mixed" {
		return append(append([]string(nil), questions["de"]...), questions["en"]...)
	}
	if q, ok := questions[lang]; ok {
		return q
	}
	return questions["de"]
}

// frame is the part of a server frame the load tool reads.
type frame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Token   string `json:"token"`
	Message struct {
		Seq      int64  `json:"seq"`
		ClientID string `json:"client_id"`
		Role     string `json:"role"`
	} `json:"message"`
}

// chat is one simulated citizen. Its reader correlates each bot reply with
// the message it answers: the reply directly follows the citizen's echo.
type chat struct {
	ws *websocket.Conn

	mu         sync.Mutex
	sentAt     map[string]time.Time // client id → when sent
	echoOf     map[int64]string     // echo seq → client id
	echoed     map[string]bool
	answered   map[string]bool
	lastSeq    int64
	lastReply  time.Time
	latencies  []time.Duration
	duplicated int
	outOfOrder int
	errors     map[string]int
	done       chan struct{} // the reader stopped
	readErr    error
}

func dial(ctx context.Context, o options) (*websocket.Conn, error) {
	hdr := http.Header{}
	if o.origin != "" {
		hdr.Set("Origin", o.origin)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	ws, resp, err := d.DialContext(ctx, o.url, hdr)
	if err != nil {
		if resp != nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return nil, fmt.Errorf("dial: %w (HTTP %d %s)", err, resp.StatusCode, strings.TrimSpace(string(b)))
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	return ws, nil
}

// hello says hello (with a token, or none for a new chat) and waits for
// synced. It returns the token the server gave.
func hello(ws *websocket.Conn, token string, lastSeq int64) (string, error) {
	if err := ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "token": token, "last_seq": lastSeq}); err != nil {
		return "", err
	}
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	defer ws.SetReadDeadline(time.Time{})
	for {
		var f frame
		if err := ws.ReadJSON(&f); err != nil {
			return "", fmt.Errorf("hello: %w", err)
		}
		switch f.Type {
		case "welcome":
			token = f.Token
		case "synced":
			return token, nil
		case "error":
			return "", fmt.Errorf("hello: error frame %s", f.Code)
		}
	}
}

func newChat(ws *websocket.Conn) *chat {
	c := &chat{ws: ws, sentAt: map[string]time.Time{}, echoOf: map[int64]string{}, echoed: map[string]bool{},
		answered: map[string]bool{}, errors: map[string]int{}, done: make(chan struct{})}
	go c.read()
	return c
}

func (c *chat) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.ReadMessage()
		now := time.Now()
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			c.mu.Unlock()
			return
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.mu.Lock()
			c.errors["bad_json_from_server"]++
			c.mu.Unlock()
			continue
		}
		c.mu.Lock()
		switch f.Type {
		case "message":
			m := f.Message
			switch {
			case m.Seq == c.lastSeq:
				c.duplicated++
			case m.Seq < c.lastSeq:
				c.outOfOrder++
			default:
				c.lastSeq = m.Seq
			}
			if m.Role == "citizen" && m.ClientID != "" {
				if c.echoed[m.ClientID] {
					c.duplicated++
				}
				c.echoed[m.ClientID] = true
				c.echoOf[m.Seq] = m.ClientID
			}
			if m.Role == "bot" {
				if id, ok := c.echoOf[m.Seq-1]; ok && !c.answered[id] {
					c.answered[id] = true
					c.latencies = append(c.latencies, now.Sub(c.sentAt[id]))
					c.lastReply = now
				}
			}
		case "error":
			c.errors[f.Code]++
		}
		c.mu.Unlock()
	}
}

func (c *chat) send(id, text string) error {
	c.mu.Lock()
	c.sentAt[id] = time.Now()
	c.mu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteJSON(map[string]any{"type": "message", "id": id, "text": text})
}

func (c *chat) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sentAt) - len(c.answered)
}

type report struct {
	chats, sent, answered, lost, duplicated, outOfOrder int
	sendErrors                                          int
	errors                                              map[string]int
	// window is the sending time; answering is from the start to the
	// last answer (longer than window when the server falls behind).
	window, answering time.Duration
	latencies         []time.Duration
}

func runChats(ctx context.Context, o options, log io.Writer) (report, error) {
	qs := questionsFor(o.lang)
	chats, err := openAll(ctx, o, o.chats, nil, log)
	defer func() {
		for _, c := range chats {
			_ = c.Close()
		}
	}()
	if err != nil {
		return report{}, err
	}
	cs := make([]*chat, len(chats))
	for i, ws := range chats {
		cs[i] = newChat(ws)
	}
	fmt.Fprintf(log, "%d chats open; sending %.1f messages/s each for %v\n", len(cs), o.rate, o.duration)

	interval := time.Duration(float64(time.Second) / o.rate)
	start := time.Now()
	end := start.Add(o.duration)
	var sendErrors atomic.Int64
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			// Spread the chats over the first interval, then send on a
			// fixed schedule (open loop: a slow reply does not slow the
			// sender down).
			next := start.Add(time.Duration(r.Int64N(int64(interval))))
			for n := 0; ; n++ {
				if d := time.Until(next); d > 0 {
					select {
					case <-time.After(d):
					case <-ctx.Done():
						return
					}
				}
				if time.Now().After(end) {
					return
				}
				if err := c.send("m"+strconv.Itoa(n), qs[r.IntN(len(qs))]); err != nil {
					sendErrors.Add(1)
					return
				}
				next = next.Add(interval)
			}
		}()
	}
	wg.Wait()
	sendEnd := time.Now()
	if sendEnd.After(end) {
		sendEnd = end
	}
	// Wait for the last replies.
	deadline := time.Now().Add(o.drain)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		waiting := 0
		for _, c := range cs {
			waiting += c.pending()
		}
		if waiting == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := report{chats: len(cs), sendErrors: int(sendErrors.Load()), errors: map[string]int{}, window: sendEnd.Sub(start)}
	for _, c := range cs {
		c.mu.Lock()
		r.sent += len(c.sentAt)
		r.answered += len(c.answered)
		r.duplicated += c.duplicated
		r.outOfOrder += c.outOfOrder
		r.latencies = append(r.latencies, c.latencies...)
		if d := c.lastReply.Sub(start); d > r.answering {
			r.answering = d
		}
		for k, v := range c.errors {
			r.errors[k] += v
		}
		c.mu.Unlock()
	}
	r.lost = r.sent - r.answered
	return r, nil
}

// openAll opens n connections, dialers at a time, each saying hello (with
// tokens[i] when tokens are given).
func openAll(ctx context.Context, o options, n int, tokens []string, log io.Writer) ([]*websocket.Conn, error) {
	conns := make([]*websocket.Conn, n)
	var failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	sem := make(chan struct{}, o.dialers)
	var wg sync.WaitGroup
	var opened atomic.Int64
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, err := dial(ctx, o)
			if err == nil {
				token, lastSeq := "", int64(0)
				if tokens != nil {
					token, lastSeq = tokens[i], 2
				}
				if _, err = hello(ws, token, lastSeq); err != nil {
					ws.Close()
				}
			}
			if err != nil {
				failed.Add(1)
				errOnce.Do(func() { firstErr = err })
				return
			}
			conns[i] = ws
			if k := opened.Add(1); k%1000 == 0 {
				fmt.Fprintf(log, "%d connections open\n", k)
			}
		}()
	}
	wg.Wait()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	if f := failed.Load(); f > 0 {
		return out, fmt.Errorf("%d of %d connections failed; first: %w", f, n, firstErr)
	}
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

func (r report) print(w io.Writer) {
	slices.Sort(r.latencies)
	secs := r.window.Seconds()
	fmt.Fprintf(w, "chats:        %d for %.1fs\n", r.chats, secs)
	fmt.Fprintf(w, "sent:         %d messages (%.0f/s)\n", r.sent, float64(r.sent)/secs)
	asecs := max(r.answering.Seconds(), secs)
	fmt.Fprintf(w, "answered:     %d in %.1fs: %.0f answers/s (%.0f messages/s with the citizens' own, echoed)\n",
		r.answered, asecs, float64(r.answered)/asecs, 2*float64(r.answered)/asecs)
	fmt.Fprintf(w, "latency:      p50 %v  p90 %v  p99 %v  max %v\n",
		percentile(r.latencies, 0.50).Round(10*time.Microsecond), percentile(r.latencies, 0.90).Round(10*time.Microsecond),
		percentile(r.latencies, 0.99).Round(10*time.Microsecond), percentile(r.latencies, 1).Round(10*time.Microsecond))
	fmt.Fprintf(w, "lost:         %d (no answer by the end of -drain)\nduplicated:   %d\nout of order: %d\n", r.lost, r.duplicated, r.outOfOrder)
	if r.sendErrors > 0 || len(r.errors) > 0 {
		fmt.Fprintf(w, "errors:       send %d, error frames %v\n", r.sendErrors, r.errors)
	}
}

type idleReport struct {
	conns             int
	rssBefore, rssNow int64 // bytes; 0 when unknown
	openTook          time.Duration
}

func runIdle(ctx context.Context, o options, log io.Writer) (idleReport, error) {
	var r idleReport
	var tokens []string
	if o.withConversation {
		var err error
		if tokens, err = converse(ctx, o, o.idle, log); err != nil {
			return r, err
		}
		time.Sleep(2 * time.Second) // let the server settle before measuring
	}
	if o.pid > 0 {
		rss, err := processRSS(o.pid)
		if err != nil {
			return r, err
		}
		r.rssBefore = rss
	}
	start := time.Now()
	conns, err := openAll(ctx, o, o.idle, tokens, log)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	r.conns, r.openTook = len(conns), time.Since(start)
	if err != nil {
		return r, err
	}
	// Answer the server's pings while idle (gorilla answers pings from
	// inside a read).
	for _, c := range conns {
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	fmt.Fprintf(log, "%d idle connections open after %v; holding for %v\n", len(conns), r.openTook.Round(time.Millisecond), o.hold)
	select {
	case <-time.After(o.hold):
	case <-ctx.Done():
	}
	if o.pid > 0 {
		rss, err := processRSS(o.pid)
		if err != nil {
			return r, err
		}
		r.rssNow = rss
	}
	return r, nil
}

func (r idleReport) print(w io.Writer) {
	fmt.Fprintf(w, "idle connections: %d (opened in %v)\n", r.conns, r.openTook.Round(time.Millisecond))
	if r.rssBefore > 0 && r.conns > 0 {
		d := r.rssNow - r.rssBefore
		fmt.Fprintf(w, "server RSS:       %.1f MiB before, %.1f MiB with the connections: +%.1f MiB, %.1f KiB per connection\n",
			float64(r.rssBefore)/(1<<20), float64(r.rssNow)/(1<<20), float64(d)/(1<<20), float64(d)/1024/float64(r.conns))
	}
}

// processRSS reads a process's resident set size from /proc (Linux).
func processRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return n << 10, nil
				}
			}
		}
	}
	return 0, errors.New("no VmRSS in /proc/status")
}

// converse starts n conversations of one question and answer each and
// returns their tokens.
func converse(ctx context.Context, o options, n int, log io.Writer) ([]string, error) {
	tokens := make([]string, n)
	sem := make(chan struct{}, o.dialers)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	qs := questionsFor(o.lang)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := func() error {
				ws, err := dial(ctx, o)
				if err != nil {
					return err
				}
				defer ws.Close()
				token, err := hello(ws, "", 0)
				if err != nil {
					return err
				}
				if err := ws.WriteJSON(map[string]any{"type": "message", "id": "q1", "text": qs[i%len(qs)]}); err != nil {
					return err
				}
				_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
				for {
					var f frame
					if err := ws.ReadJSON(&f); err != nil {
						return err
					}
					if f.Type == "message" && f.Message.Role == "bot" {
						tokens[i] = token
						return nil
					}
				}
			}()
			if err != nil {
				failed.Add(1)
				once.Do(func() { firstErr = err })
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return nil, fmt.Errorf("%d of %d conversations failed; first: %w", f, n, firstErr)
	}
	fmt.Fprintf(log, "%d conversations started\n", n)
	return tokens, nil
}
