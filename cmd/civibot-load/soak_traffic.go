package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/civibot/civibot/conversation"
)

// giveUp is how long a citizen keeps resending one message before it
// counts as unacknowledged.
const giveUp = 3 * time.Minute

// ---- web chat ----

type webFrame struct {
	Type         string `json:"type"`
	Token        string `json:"token"`
	Status       string `json:"status"`
	Code         string `json:"code"`
	Ref          string `json:"ref"`
	Retry        bool   `json:"retry"`
	RetryAfterMS int    `json:"retry_after_ms"`
	Replay       bool   `json:"replay"`
	Message      struct {
		Seq      int64  `json:"seq"`
		ClientID string `json:"client_id"`
		Role     string `json:"role"`
	} `json:"message"`
}

// webChat is one citizen's chat: its connection (re-made after drops), and
// what it has seen.
type webChat struct {
	s       *soak
	n       int
	token   string
	ws      *websocket.Conn
	frames  chan webFrame
	lastSeq int64
	status  string
	echoed  map[string]int64 // client id → seq
	botSeq  map[int64]bool   // seqs of bot messages
}

func (w *webChat) connect(ctx context.Context, attempt int) error {
	in := w.s.pick(w.n + attempt)
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.DialContext(ctx, "ws://"+in.addr+"/ws", nil)
	if err != nil {
		return err
	}
	if err := ws.WriteJSON(map[string]any{"type": "hello", "v": 1, "token": w.token, "last_seq": w.lastSeq, "lang": "de"}); err != nil {
		ws.Close()
		return err
	}
	frames := make(chan webFrame, 64)
	go func() {
		defer close(frames)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f webFrame
			if json.Unmarshal(data, &f) == nil {
				frames <- f
			}
		}
	}()
	w.ws, w.frames = ws, frames
	// Until synced: the welcome and the backlog.
	for {
		f, err := w.next(30 * time.Second)
		if err != nil {
			ws.Close()
			return err
		}
		switch f.Type {
		case "welcome":
			w.token = f.Token
			w.status = f.Status
		case "synced":
			return nil
		case "error":
			ws.Close()
			return fmt.Errorf("hello: %s", f.Code)
		}
	}
}

// next returns the next frame, recording messages.
func (w *webChat) next(timeout time.Duration) (webFrame, error) {
	select {
	case f, ok := <-w.frames:
		if !ok {
			return f, io.EOF
		}
		switch f.Type {
		case "message":
			m := f.Message
			if m.Seq <= w.lastSeq {
				w.s.stats.duplicated.Add(1)
			} else {
				w.lastSeq = m.Seq
			}
			switch m.Role {
			case conversation.RoleCitizen:
				if m.ClientID != "" {
					if _, ok := w.echoed[m.ClientID]; ok && !f.Replay {
						w.s.stats.duplicated.Add(1)
					}
					w.echoed[m.ClientID] = m.Seq
				}
			case conversation.RoleBot:
				w.botSeq[m.Seq] = true
				w.s.stats.answered.Add(1)
			case conversation.RoleCaseworker:
				w.s.stats.caseworkerMsgs.Add(1)
			}
		case "handoff":
			w.status = f.Status
		case "welcome":
			w.status = f.Status
		}
		return f, nil
	case <-time.After(timeout):
		return webFrame{}, errors.New("timeout")
	}
}

func (w *webChat) close() {
	if w.ws != nil {
		w.ws.Close()
		for range w.frames {
		}
		w.ws = nil
	}
}

// send sends one frame until it is echoed: resending after an error frame
// or on a new connection. false: given up.
func (w *webChat) send(ctx context.Context, frame map[string]any) bool {
	id := frame["id"].(string)
	deadline := time.Now().Add(giveUp)
	attempt := 0
	for time.Now().Before(deadline) {
		if w.ws == nil {
			if err := w.connect(ctx, attempt); err != nil {
				attempt++
				w.s.stats.reconnects.Add(1)
				time.Sleep(time.Duration(500+rand.IntN(1500)) * time.Millisecond)
				continue
			}
		}
		if _, ok := w.echoed[id]; ok {
			return true // the echo came with the backlog after a reconnect
		}
		if err := w.ws.WriteJSON(frame); err != nil {
			w.close()
			continue
		}
		for {
			f, err := w.next(40 * time.Second)
			if err != nil {
				w.close() // dropped (or silent): reconnect and resend
				w.s.stats.reconnects.Add(1)
				break
			}
			if f.Type == "message" && f.Message.ClientID == id {
				return true
			}
			if f.Type == "error" && f.Ref == id {
				w.s.stats.errorFrames.Add(1)
				if !f.Retry {
					return false
				}
				w.s.stats.retries.Add(1)
				time.Sleep(time.Duration(f.RetryAfterMS) * time.Millisecond)
				break
			}
		}
	}
	return false
}

func (s *soak) webCitizen(ctx context.Context, n int) {
	w := &webChat{s: s, n: n, echoed: map[string]int64{}, botSeq: map[int64]bool{}}
	defer w.close()
	qs := questionsFor("mixed")
	k := 2 + rand.IntN(5)
	person := rand.Float64() < 0.08
	var acked []string
	for i := range k {
		id := "m" + strconv.Itoa(i)
		frame := map[string]any{"type": "message", "id": id, "text": qs[rand.IntN(len(qs))]}
		if person && i == 1 {
			frame = map[string]any{"type": "person", "id": id}
			s.stats.handoffs.Add(1)
		} else {
			s.stats.sent.Add(1)
		}
		if !w.send(ctx, frame) {
			s.stats.unacked.Add(1)
			continue
		}
		acked = append(acked, id)
		if frame["type"] == "message" {
			s.stats.acked.Add(1)
			s.stats.byChannel[0].Add(1)
			// The bot answers right after the echo, unless a person has it.
			seq := w.echoed[id]
			answered := func() bool { return w.botSeq[seq+1] }
			for end := time.Now().Add(15 * time.Second); !answered() && time.Now().Before(end) && w.ws != nil; {
				if _, err := w.next(time.Until(end)); err != nil {
					break
				}
			}
			if !answered() && w.status == string(conversation.StatusBot) {
				s.stats.unanswered.Add(1)
			}
		}
		// Think; sometimes the page is reloaded (reconnect with the token).
		time.Sleep(time.Duration(1000+rand.IntN(3000)) * time.Millisecond)
		if rand.Float64() < 0.15 {
			w.close()
			s.stats.reconnects.Add(1)
		}
	}
	if person {
		// Stay a while for the caseworker's answer.
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); {
			if w.ws == nil {
				if w.connect(ctx, 1) != nil {
					time.Sleep(time.Second)
					continue
				}
			}
			if _, err := w.next(time.Until(end)); err != nil && !errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				w.close()
			}
		}
	}
	if w.token != "" {
		s.verify(ctx, conversation.WebID(w.token), acked, nil)
	}
}

// verify reads the conversation back from Redis: every acknowledged
// client id is stored exactly once. sentTexts, when given, are the texts a
// provider (Telegram) delivered for it: no stored outbound message was
// delivered twice.
func (s *soak) verify(ctx context.Context, id string, acked []string, delivered []string) {
	store := conversation.NewRedis(s.rdb, conversation.Options{})
	var msgs []conversation.Message
	var err error
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(time.Second) {
		if msgs, err = store.Messages(ctx, id, 0, 0); err == nil || errors.Is(err, conversation.ErrNotFound) {
			break
		}
	}
	if err != nil && !errors.Is(err, conversation.ErrNotFound) {
		fmt.Fprintf(s.log, "soak: verify %s: %v\n", id, err)
		return
	}
	count := map[string]int{}
	for _, m := range msgs {
		if m.Role == conversation.RoleCitizen && m.ClientID != "" {
			count[m.ClientID]++
		}
	}
	for _, cid := range acked {
		switch c := count[s.clientKey(id, cid)]; {
		case c == 0:
			s.stats.lost.Add(1)
			fmt.Fprintf(s.log, "soak: LOST %s %s\n", id, cid)
		case c > 1:
			s.stats.duplicated.Add(int64(c - 1))
		}
	}
	if delivered != nil {
		// Each stored outbound text is delivered as often as it is stored.
		// A delivery counts for the longest stored text it carries (the
		// first answer carries the AI disclosure before the answer).
		want := map[string]int{}
		for _, m := range msgs {
			if m.Role == conversation.RoleBot || m.Role == conversation.RoleCaseworker {
				want[htmlText(m.Text)]++
			}
		}
		got := map[string]int{}
		for _, d := range delivered {
			best := ""
			for t := range want {
				if len(t) > len(best) && strings.Contains(d, t) {
					best = t
				}
			}
			if best != "" {
				got[best]++
			}
		}
		for t, n := range got {
			if n > want[t] {
				s.stats.duplicated.Add(int64(n - want[t]))
				fmt.Fprintf(s.log, "soak: DUPLICATE delivery %s %.40q: %d for %d stored\n", id, t, n, want[t])
			}
		}
	}
	s.stats.verified.Add(1)
}

// clientKey is the stored client id of a channel's message.
func (s *soak) clientKey(_ string, cid string) string { return cid }

// htmlText is a stored text as Telegram's HTML carries it.
func htmlText(text string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(strings.TrimSpace(text))
}

// ---- Telegram ----

var updateIDs atomic.Int64

func (s *soak) telegramCitizen(ctx context.Context, n int) {
	chat := int64(500000000 + n)
	qs := questionsFor("mixed")
	k := 2 + rand.IntN(5)
	var acked []string
	for range k {
		uid := updateIDs.Add(1)
		text := qs[rand.IntN(len(qs))]
		body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Erika","language_code":"de"},"chat":{"id":%d,"first_name":"Erika","type":"private"},"date":%d,"text":%q}}`,
			uid, uid, chat, chat, time.Now().Unix(), text)
		s.stats.sent.Add(1)
		ok := false
		for end, attempt := time.Now().Add(giveUp), 0; time.Now().Before(end); attempt++ {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.pick(n+attempt).base()+"/telegram/webhook", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", soakTGSecret)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok = true
					break
				}
			}
			// Telegram delivers the update again a little later.
			s.stats.retries.Add(1)
			time.Sleep(time.Duration(1000+rand.IntN(2000)) * time.Millisecond)
		}
		if !ok {
			s.stats.unacked.Add(1)
			continue
		}
		s.stats.acked.Add(1)
		s.stats.byChannel[1].Add(1)
		acked = append(acked, fmt.Sprintf("tg:7000000001:%d", uid))
		time.Sleep(time.Duration(1000+rand.IntN(3000)) * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // the last sends
	s.verify(ctx, conversation.TelegramID([]byte(soakIDKey), chat), acked, s.tg.texts(chat))
}

// ---- SMS ----

var smsSIDs atomic.Int64

func (s *soak) smsCitizen(ctx context.Context, n int) {
	number := fmt.Sprintf("+4915%09d", n)
	qs := questionsFor("de")
	k := 2 + rand.IntN(5)
	var acked []string
	for range k {
		text := qs[rand.IntN(len(qs))]
		s.stats.sent.Add(1)
		ok := false
		for end, attempt := time.Now().Add(giveUp), 0; time.Now().Before(end) && !ok; attempt++ {
			// A new SMS each time the citizen is asked to send again;
			// the same one when the webhook failed (Twilio's retry or
			// fallback URL).
			sid := fmt.Sprintf("SM%032x", smsSIDs.Add(1))
			for tries := 0; tries < 20; tries++ {
				status, answer, err := s.postSMS(ctx, n+attempt+tries, sid, number, text)
				if err != nil || status >= 500 {
					s.stats.retries.Add(1)
					time.Sleep(time.Duration(1000+rand.IntN(2000)) * time.Millisecond)
					continue
				}
				if status == http.StatusOK && !strings.Contains(answer, "Fehler aufgetreten") && !strings.Contains(answer, "went wrong") {
					ok = true
					acked = append(acked, "sms-"+sid)
					if strings.Contains(answer, "<Message") {
						s.stats.answered.Add(1)
					}
				} else {
					s.stats.retries.Add(1)
					time.Sleep(time.Duration(2000+rand.IntN(2000)) * time.Millisecond)
				}
				break
			}
		}
		if !ok {
			s.stats.unacked.Add(1)
			continue
		}
		s.stats.acked.Add(1)
		s.stats.byChannel[2].Add(1)
		time.Sleep(time.Duration(1000+rand.IntN(3000)) * time.Millisecond)
	}
	id := conversation.PhoneID([]byte(soakIDKey), number)
	s.verify(ctx, id, acked, nil)
	// Caseworker replies go out by REST: never more often than stored.
	msgs, err := conversation.NewRedis(s.rdb, conversation.Options{}).Messages(ctx, id, 0, 0)
	if err == nil {
		stored := 0
		for _, m := range msgs {
			if m.Role == conversation.RoleCaseworker {
				stored++
			}
		}
		if got := s.tw.count(number); got > stored {
			s.stats.duplicated.Add(int64(got - stored))
			fmt.Fprintf(s.log, "soak: DUPLICATE sms %s: %d sent for %d stored\n", id, got, stored)
		}
	}
}

func (s *soak) postSMS(ctx context.Context, n int, sid, from, body string) (int, string, error) {
	form := url.Values{
		"ToCountry": {"DE"}, "SmsMessageSid": {sid}, "NumMedia": {"0"}, "SmsSid": {sid}, "SmsStatus": {"received"},
		"Body": {body}, "FromCountry": {"DE"}, "To": {"+4930555000"}, "NumSegments": {"1"}, "MessageSid": {sid},
		"AccountSid": {soakAccount}, "From": {from}, "ApiVersion": {"2010-04-01"},
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.pick(n).base()+"/twilio/sms", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioSign(soakAuthToken, soakPublic+"/twilio/sms", form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// ---- caseworkers ----

type caseworkerClient struct {
	s      *soak
	i      int
	cookie string // guarded by mu (the live socket reads it)
	csrf   string
	base   string
	mu     sync.Mutex
}

func (c *caseworkerClient) do(ctx context.Context, method, path string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Origin", soakPublic)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ck := c.session(); ck != "" {
		req.Header.Set("Cookie", ck)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	hc := http.Client{Timeout: 20 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Value != "" {
			c.mu.Lock()
			c.cookie = ck.Name + "=" + ck.Value
			c.mu.Unlock()
		}
	}
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, nil
}

// session is the session cookie (the live socket reads it while a
// re-login replaces it).
func (c *caseworkerClient) session() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cookie
}

func (c *caseworkerClient) login(ctx context.Context) error {
	c.base = c.s.pick(c.i).base()
	c.mu.Lock()
	c.cookie, c.csrf = "", ""
	c.mu.Unlock()
	code, out, err := c.do(ctx, "POST", "/console/api/login", map[string]string{"username": fmt.Sprintf("cw%d", c.i), "password": soakPassword})
	if err != nil {
		return err
	}
	if code != 200 {
		return fmt.Errorf("login: %d %v", code, out)
	}
	c.csrf, _ = out["csrf"].(string)
	return nil
}

// live keeps the console's live socket open (it keeps the caseworker
// online) until ctx ends, reconnecting as a browser would.
func (c *caseworkerClient) live(ctx context.Context) {
	for ctx.Err() == nil {
		hdr := http.Header{"Origin": {soakPublic}, "Cookie": {c.session()}}
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		ws, _, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(c.s.pick(c.i).base(), "http")+"/console/api/live", hdr)
		if err != nil {
			time.Sleep(2 * time.Second)
			continue
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
		t := time.NewTicker(15 * time.Second)
	beat:
		for {
			if err := ws.WriteJSON(map[string]string{"type": "heartbeat"}); err != nil {
				break
			}
			select {
			case <-t.C:
			case <-done:
				break beat
			case <-ctx.Done():
				break beat
			}
		}
		t.Stop()
		ws.Close()
		<-done
		time.Sleep(time.Second)
	}
}

func (s *soak) caseworker(ctx context.Context, i int) {
	c := &caseworkerClient{s: s, i: i}
	for c.login(ctx) != nil {
		if ctx.Err() != nil {
			return
		}
		time.Sleep(2 * time.Second)
	}
	go c.live(ctx)
	var mine []string
	for ctx.Err() == nil {
		time.Sleep(time.Duration(1500+rand.IntN(1000)) * time.Millisecond)
		code, q, err := c.do(ctx, "GET", "/console/api/queue", nil)
		if err != nil || code == 401 || code >= 500 {
			if err != nil || code == 401 {
				_ = c.login(ctx)
			}
			continue
		}
		if len(mine) == 0 {
			waiting, _ := q["waiting"].([]any)
			if len(waiting) == 0 {
				continue
			}
			w, _ := waiting[rand.IntN(len(waiting))].(map[string]any)
			id, _ := w["conversation_id"].(string)
			if code, _, err := c.do(ctx, "POST", "/console/api/conversations/"+id+"/claim", struct{}{}); err == nil && code == 200 {
				s.stats.claims.Add(1)
				mine = append(mine, id)
			}
			continue
		}
		id := mine[0]
		for r := range 1 + rand.IntN(2) {
			body := map[string]string{"text": "Guten Tag, hier ist das Bürgeramt. Wir kümmern uns darum.", "client_id": fmt.Sprintf("cw%d-%s-%d", i, id, r)}
			for try := 0; try < 10; try++ {
				code, _, err := c.do(ctx, "POST", "/console/api/conversations/"+id+"/reply", body)
				if err == nil && code == 200 {
					s.stats.replies.Add(1)
					break
				}
				if err == nil && code < 500 && code != 401 {
					break // not ours any more
				}
				if err != nil || code == 401 {
					_ = c.login(ctx)
				}
				time.Sleep(2 * time.Second)
			}
			time.Sleep(2 * time.Second)
		}
		action, body := "giveback", any(struct{}{})
		if rand.IntN(2) == 0 {
			action, body = "close", map[string]string{"outcome": "resolved"}
		}
		for try := 0; try < 10; try++ {
			code, _, err := c.do(ctx, "POST", "/console/api/conversations/"+id+"/"+action, body)
			if err == nil && code < 500 && code != 401 {
				if code == 200 {
					s.stats.givebacks.Add(1)
				}
				break
			}
			if err != nil || code == 401 {
				_ = c.login(ctx)
			}
			time.Sleep(2 * time.Second)
		}
		mine = mine[1:]
	}
}
