package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// soakOptions configure a soak run (-soak): two civibot instances on one
// Redis, all channels, caseworkers, restarts, retention purges.
type soakOptions struct {
	civibot, redisServer, out string
	duration, sample, warmup  time.Duration
	// rate: citizen messages per second over all channels.
	rate float64
	// restarts: one Redis restart and one instance restart per this
	// interval (at 25% and 60% of it); 0: none.
	restarts time.Duration
	// purgeEvery runs `civibot conversations purge --older-than
	// purgeOlderThan`.
	purgeEvery, purgeOlderThan time.Duration
	caseworkers                int
}

// Fixed secrets of the soak's own installation (never a real one).
const (
	soakIDKey      = "soak-installation-key-0123456789abcdef"
	soakPublic     = "https://soak.civibot.example"
	soakTGToken    = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	soakTGSecret   = "soak-webhook-secret-0123456789"
	soakAccount    = "AC0123456789abcdef0123456789abcdef"
	soakAuthToken  = "0123456789abcdef0123456789abcdef"
	soakMetricsTok = "soak-metrics-token-0123456789"
	soakPassword   = "soak caseworker password"
)

// soak is one run.
type soak struct {
	o   soakOptions
	dir string
	log io.Writer

	redisAddr string
	redis     *proc
	instances [2]*instanceProc
	tg        *fakeTelegram
	tw        *fakeTwilio
	rdb       redis.UniversalClient

	stats soakStats
	mu    sync.Mutex
	marks []mark // restarts, for the plot
}

type mark struct {
	at   time.Duration
	what string
}

// soakStats are the run's counters.
type soakStats struct {
	sent, acked, answered, caseworkerMsgs atomic.Int64
	// lost: acknowledged citizen messages missing from the stored
	// transcript; unacked: given up without an acknowledgement;
	// duplicated: a message delivered or stored twice; unanswered: an
	// acknowledged message in a bot conversation without the bot's answer.
	lost, unacked, duplicated, unanswered atomic.Int64
	retries, errorFrames, reconnects      atomic.Int64
	handoffs, claims, replies, givebacks  atomic.Int64
	verified, purged                      atomic.Int64
	byChannel                             [3]atomic.Int64 // web, telegram, sms acked
}

type proc struct {
	cmd  *exec.Cmd
	done chan error
}

func (p *proc) pid() int {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// stop sends SIGTERM and waits.
func (p *proc) stop(timeout time.Duration) {
	if p == nil || p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func startProc(name string, args, env []string, logPath string) (*proc, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); f.Close() }()
	return p, nil
}

type instanceProc struct {
	name string
	addr string
	mu   sync.Mutex
	p    *proc
	up   atomic.Bool
}

func (in *instanceProc) base() string { return "http://" + in.addr }

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// quiet drops go-redis's own log lines (the soak's Redis goes away on
// purpose).
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func runSoak(ctx context.Context, o soakOptions, stdout, log io.Writer) error {
	redis.SetLogger(quiet{})
	if o.out == "" {
		o.out = "soak-out"
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "civibot-soak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s := &soak{o: o, dir: dir, log: log}
	defer s.shutdown()
	if err := s.setup(ctx); err != nil {
		return err
	}
	fmt.Fprintf(log, "soak: 2 instances (%s, %s), redis %s, %.1f messages/s for %v; output in %s\n",
		s.instances[0].addr, s.instances[1].addr, s.redisAddr, o.rate, o.duration, o.out)
	return s.run(ctx, stdout)
}

func (s *soak) setup(ctx context.Context) error {
	var err error
	if s.redisAddr, err = freePort(); err != nil {
		return err
	}
	if err := s.startRedis(); err != nil {
		return err
	}
	s.rdb = redis.NewClient(&redis.Options{Addr: s.redisAddr, MaxRetries: -1, DialTimeout: time.Second})
	s.tg = newFakeTelegram()
	s.tw = newFakeTwilio()
	for i := range s.instances {
		addr, err := freePort()
		if err != nil {
			return err
		}
		s.instances[i] = &instanceProc{name: string(rune('A' + i)), addr: addr}
	}
	for i := 1; i <= s.o.caseworkers; i++ {
		cmd := exec.CommandContext(ctx, s.o.civibot, "user", "add", fmt.Sprintf("cw%d", i), "--name", fmt.Sprintf("Caseworker %d", i), "--password-stdin")
		cmd.Env = append(os.Environ(), s.env("user")...)
		cmd.Stdin = strings.NewReader(soakPassword + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("user add: %v: %s", err, out)
		}
	}
	for _, in := range s.instances {
		if err := s.startInstance(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

func (s *soak) startRedis() error {
	host, port, _ := net.SplitHostPort(s.redisAddr)
	p, err := startProc(s.o.redisServer, []string{"--bind", host, "--port", port, "--dir", s.dir, "--save", "",
		"--appendonly", "yes", "--appendfsync", "everysec", "--protected-mode", "no", "--maxmemory-policy", "noeviction"},
		nil, filepath.Join(s.o.out, "redis.log"))
	if err != nil {
		return err
	}
	s.redis = p
	c := redis.NewClient(&redis.Options{Addr: s.redisAddr, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if err := c.Ping(context.Background()).Err(); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("redis did not start: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *soak) env(name string) []string {
	return []string{
		"CIVIBOT_REDIS_URL=redis://" + s.redisAddr + "/0",
		"CIVIBOT_SECURITY_DATA_DIR=" + filepath.Join(s.dir, "data-"+name),
		"CIVIBOT_SECURITY_ID_KEY=" + soakIDKey,
		"CIVIBOT_LOG_LEVEL=warn", "CIVIBOT_LOG_FORMAT=json",
		"CIVIBOT_SERVER_PUBLIC_URL=" + soakPublic,
		"CIVIBOT_WEBCHAT_IP_CONNECTIONS=100000", "CIVIBOT_WEBCHAT_IP_CONNECTS_PER_MINUTE=1000000", "CIVIBOT_WEBCHAT_IP_CONNECT_BURST=100000",
		"CIVIBOT_WEBCHAT_IP_MESSAGES_PER_MINUTE=100000000", "CIVIBOT_WEBCHAT_IP_MESSAGE_BURST=100000",
		"CIVIBOT_WEBCHAT_ADDRESS_BYTES_PER_DAY=1099511627776", "CIVIBOT_WEBCHAT_CONVERSATION_BYTES_PER_DAY=1099511627776",
		"CIVIBOT_TELEGRAM_ENABLED=true", "CIVIBOT_TELEGRAM_TOKEN=" + soakTGToken, "CIVIBOT_TELEGRAM_MODE=webhook",
		"CIVIBOT_TELEGRAM_WEBHOOK_SECRET=" + soakTGSecret, "CIVIBOT_TELEGRAM_API_ENDPOINT=" + s.tg.url,
		"CIVIBOT_TELEGRAM_MESSAGES_PER_SECOND=1000", "CIVIBOT_TELEGRAM_CHAT_MESSAGES_PER_MINUTE=600", "CIVIBOT_TELEGRAM_CHAT_BURST=100",
		"CIVIBOT_TWILIO_ENABLED=true", "CIVIBOT_TWILIO_ACCOUNT_SID=" + soakAccount, "CIVIBOT_TWILIO_AUTH_TOKEN=" + soakAuthToken,
		"CIVIBOT_TWILIO_FROM=+4930555000", "CIVIBOT_TWILIO_API_BASE=" + s.tw.url, "CIVIBOT_TWILIO_SMS_ANSWERS_PER_DAY=-1",
		"CIVIBOT_CONVERSATIONS_RETENTION=1h",
		"CIVIBOT_METRICS_TOKEN=" + soakMetricsTok,
		"CIVIBOT_HANDOFF_ACCOUNTS_BCRYPT_COST=10",
		"CIVIBOT_KNOWLEDGE_RELOAD_INTERVAL=0s",
	}
}

func (s *soak) startInstance(ctx context.Context, in *instanceProc) error {
	p, err := startProc(s.o.civibot, []string{"serve", "--addr", in.addr}, s.env(in.name), filepath.Join(s.o.out, "instance-"+in.name+".log"))
	if err != nil {
		return err
	}
	in.mu.Lock()
	in.p = p
	in.mu.Unlock()
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get(in.base() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				in.up.Store(true)
				return nil
			}
		}
		select {
		case err := <-p.done:
			return fmt.Errorf("instance %s exited: %v (see %s)", in.name, err, filepath.Join(s.o.out, "instance-"+in.name+".log"))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("instance %s not ready: %v", in.name, err)
		}
	}
}

func (s *soak) shutdown() {
	for _, in := range s.instances {
		if in != nil {
			in.up.Store(false)
			in.mu.Lock()
			p := in.p
			in.mu.Unlock()
			p.stop(20 * time.Second)
		}
	}
	if s.rdb != nil {
		s.rdb.Close()
	}
	s.redis.stop(10 * time.Second)
	if s.tg != nil {
		s.tg.srv.Close()
	}
	if s.tw != nil {
		s.tw.srv.Close()
	}
}

// pick returns a live instance (a load balancer's choice), preferring i.
func (s *soak) pick(i int) *instanceProc {
	for k := range 2 {
		in := s.instances[(i+k)%2]
		if in.up.Load() {
			return in
		}
	}
	return s.instances[i%2]
}

func (s *soak) mark(start time.Time, what string) {
	s.mu.Lock()
	s.marks = append(s.marks, mark{time.Since(start), what})
	s.mu.Unlock()
	fmt.Fprintf(s.log, "soak: %v %s\n", time.Since(start).Round(time.Second), what)
}

func (s *soak) run(ctx context.Context, stdout io.Writer) error {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	trafficCtx, stopTraffic := context.WithTimeout(ctx, s.o.duration)
	defer stopTraffic()

	// Sampling.
	samples := &sampler{s: s, start: start}
	wg.Add(1)
	go func() { defer wg.Done(); samples.loop(ctx, s.o.sample) }()

	// Caseworkers.
	var cwg sync.WaitGroup
	for i := 1; i <= s.o.caseworkers; i++ {
		cwg.Add(1)
		go func() { defer cwg.Done(); s.caseworker(trafficCtx, i) }()
	}

	// Citizens: an open loop of conversations, each of a few messages.
	var tw sync.WaitGroup
	tw.Add(1)
	go func() { defer tw.Done(); s.citizens(trafficCtx) }()

	// Faults and purges.
	wg.Add(1)
	go func() { defer wg.Done(); s.chaos(trafficCtx, start) }()

	tw.Wait()
	cwg.Wait()
	fmt.Fprintf(s.log, "soak: traffic stopped after %v; verifying\n", time.Since(start).Round(time.Second))
	cancel()
	wg.Wait()
	samples.write(s.o.out)
	rep := s.report(time.Since(start), samples)
	fmt.Fprint(stdout, rep)
	if err := os.WriteFile(filepath.Join(s.o.out, "summary.txt"), []byte(rep), 0o644); err != nil {
		return err
	}
	if err := plotSoak(filepath.Join(s.o.out, "soak.png"), samples.rows, s.marks, s.o.warmup); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if s.stats.lost.Load() > 0 || s.stats.duplicated.Load() > 0 {
		return errors.New("messages were lost or duplicated")
	}
	return nil
}

// chaos restarts Redis and one instance once per restarts interval, and
// purges old conversations every purgeEvery.
func (s *soak) chaos(ctx context.Context, start time.Time) {
	purge := time.NewTicker(s.o.purgeEvery)
	defer purge.Stop()
	var redisAt, instAt <-chan time.Time
	hour := 0
	arm := func() {
		if s.o.restarts <= 0 {
			return
		}
		base := start.Add(time.Duration(hour) * s.o.restarts)
		redisAt = time.After(time.Until(base.Add(s.o.restarts / 4)))
		instAt = time.After(time.Until(base.Add(s.o.restarts * 6 / 10)))
	}
	arm()
	for {
		select {
		case <-ctx.Done():
			return
		case <-purge.C:
			cmd := exec.Command(s.o.civibot, "conversations", "purge", "--older-than", s.o.purgeOlderThan.String())
			cmd.Env = append(os.Environ(), s.env("purge")...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				fmt.Fprintf(s.log, "soak: purge failed: %v %s\n", err, out)
				continue
			}
			if f := strings.Fields(string(out)); len(f) > 0 {
				for _, w := range f {
					if n, err := strconv.Atoi(w); err == nil {
						s.stats.purged.Add(int64(n))
						break
					}
				}
			}
		case <-redisAt:
			redisAt = nil
			s.mark(start, "redis restart")
			s.redis.stop(15 * time.Second)
			time.Sleep(3 * time.Second)
			if err := s.startRedis(); err != nil {
				fmt.Fprintf(s.log, "soak: redis did not come back: %v\n", err)
			}
		case <-instAt:
			instAt = nil
			in := s.instances[0]
			s.mark(start, "instance A restart")
			in.up.Store(false)
			in.mu.Lock()
			p := in.p
			in.mu.Unlock()
			p.stop(30 * time.Second)
			time.Sleep(2 * time.Second)
			if err := s.startInstance(ctx, in); err != nil {
				fmt.Fprintf(s.log, "soak: instance A did not come back: %v\n", err)
			}
			hour++
			arm()
		}
	}
}

// citizens starts conversations at a rate that gives o.rate messages per
// second: 60% web chat, 25% Telegram, 15% SMS, 4 messages each on average.
func (s *soak) citizens(ctx context.Context) {
	const perConversation = 4.0
	interval := time.Duration(float64(time.Second) * perConversation / s.o.rate)
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r := rand.Float64()
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The conversation finishes even after the sending window:
			// what was sent must be verified.
			c := context.WithoutCancel(ctx)
			switch {
			case r < 0.60:
				s.webCitizen(c, n)
			case r < 0.85:
				s.telegramCitizen(c, n)
			default:
				s.smsCitizen(c, n)
			}
		}()
	}
}

// ---- fakes of the providers ----

// fakeTelegram speaks the part of the Bot API civibot uses and counts
// messages per chat.
type fakeTelegram struct {
	srv  *http.Server
	url  string
	mu   sync.Mutex
	sent map[int64][]string // chat → texts sent (parse_mode HTML)
}

func newFakeTelegram() *fakeTelegram {
	f := &fakeTelegram{sent: map[int64][]string{}}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	f.url = "http://" + ln.Addr().String()
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f
}

func (f *fakeTelegram) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseMultipartForm(1 << 20)
	method := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "getMe":
		io.WriteString(w, `{"ok":true,"result":{"id":7000000001,"is_bot":true,"first_name":"Musterstadt","username":"musterstadt_bot"}}`)
	case "setWebhook", "deleteWebhook", "answerCallbackQuery":
		io.WriteString(w, `{"ok":true,"result":true}`)
	case "getWebhookInfo":
		io.WriteString(w, `{"ok":true,"result":{"url":"","pending_update_count":0}}`)
	case "sendMessage":
		chat, _ := strconv.ParseInt(r.FormValue("chat_id"), 10, 64)
		f.mu.Lock()
		f.sent[chat] = append(f.sent[chat], r.FormValue("text"))
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":%d,"chat":{"id":%d,"type":"private"},"text":"x"}}`, rand.IntN(1<<30), time.Now().Unix(), chat)
	default:
		w.WriteHeader(404)
		io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
	}
}

func (f *fakeTelegram) texts(chat int64) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.sent[chat]...)
}

// fakeTwilio accepts SMS sent through the REST API and counts them per
// number.
type fakeTwilio struct {
	srv  *http.Server
	url  string
	mu   sync.Mutex
	sent map[string]int
}

func newFakeTwilio() *fakeTwilio {
	f := &fakeTwilio{sent: map[string]int{}}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	f.url = "http://" + ln.Addr().String()
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != soakAccount || pass != soakAuthToken || r.ParseForm() != nil {
		w.WriteHeader(401)
		io.WriteString(w, `{"code":20003,"message":"Authenticate","status":401}`)
		return
	}
	to := r.PostForm.Get("To")
	f.mu.Lock()
	f.sent[to]++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(201)
	fmt.Fprintf(w, `{"sid":"SM%032x","status":"queued","to":%q,"account_sid":%q}`, rand.Uint64(), to, soakAccount)
}

func (f *fakeTwilio) count(to string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent[to]
}

// twilioSign is X-Twilio-Signature as Twilio documents it.
func twilioSign(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := fullURL
	for _, k := range keys {
		b += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ---- sampling ----

type sampleRow struct {
	at                   time.Duration
	rss, goroutines, fds [2]float64 // per instance (0: down)
	redisMem, redisKeys  float64
	sent, acked          float64
	lost, duplicated     float64
}

type sampler struct {
	s     *soak
	start time.Time
	mu    sync.Mutex
	rows  []sampleRow
}

func (sm *sampler) loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		sm.take()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (sm *sampler) take() {
	s := sm.s
	r := sampleRow{at: time.Since(sm.start)}
	for i, in := range s.instances {
		in.mu.Lock()
		pid := in.p.pid()
		in.mu.Unlock()
		if pid == 0 || !in.up.Load() {
			continue
		}
		if rss, err := processRSS(pid); err == nil {
			r.rss[i] = float64(rss) / (1 << 20)
		}
		if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
			r.fds[i] = float64(len(ents))
		}
		r.goroutines[i] = scrapeGauge(in.base(), "go_goroutines")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if info, err := s.rdb.Info(ctx, "memory").Result(); err == nil {
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
				n, _ := strconv.ParseFloat(v, 64)
				r.redisMem = n / (1 << 20)
			}
		}
	}
	if n, err := s.rdb.DBSize(ctx).Result(); err == nil {
		r.redisKeys = float64(n)
	}
	r.sent, r.acked = float64(s.stats.sent.Load()), float64(s.stats.acked.Load())
	r.lost, r.duplicated = float64(s.stats.lost.Load()), float64(s.stats.duplicated.Load())
	sm.mu.Lock()
	sm.rows = append(sm.rows, r)
	sm.mu.Unlock()
}

// scrapeGauge reads one gauge from /metrics (0 when it cannot).
func scrapeGauge(base, name string) float64 {
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+soakMetricsTok)
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

func (sm *sampler) write(dir string) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	f, err := os.Create(filepath.Join(dir, "samples.csv"))
	if err != nil {
		return
	}
	defer f.Close()
	w := csv.NewWriter(f)
	_ = w.Write([]string{"seconds", "rss_a_mib", "rss_b_mib", "goroutines_a", "goroutines_b", "fds_a", "fds_b",
		"redis_used_mib", "redis_keys", "sent", "acked", "lost", "duplicated"})
	for _, r := range sm.rows {
		ff := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
		_ = w.Write([]string{ff(r.at.Seconds()), ff(r.rss[0]), ff(r.rss[1]), ff(r.goroutines[0]), ff(r.goroutines[1]),
			ff(r.fds[0]), ff(r.fds[1]), ff(r.redisMem), ff(r.redisKeys), ff(r.sent), ff(r.acked), ff(r.lost), ff(r.duplicated)})
	}
	w.Flush()
}

// report summarises the run: counts and the flatness of the curves after
// warm-up (instance B runs throughout; A restarts).
func (s *soak) report(took time.Duration, sm *sampler) string {
	var b strings.Builder
	st := &s.stats
	fmt.Fprintf(&b, "soak:          %v (%.2f h), 2 instances, %d caseworkers\n", took.Round(time.Second), took.Hours(), s.o.caseworkers)
	fmt.Fprintf(&b, "messages:      %d sent, %d acknowledged (web %d, telegram %d, sms %d), %d bot answers, %d caseworker replies received\n",
		st.sent.Load(), st.acked.Load(), st.byChannel[0].Load(), st.byChannel[1].Load(), st.byChannel[2].Load(), st.answered.Load(), st.caseworkerMsgs.Load())
	fmt.Fprintf(&b, "lost:          %d (acknowledged, not in the stored transcript)\n", st.lost.Load())
	fmt.Fprintf(&b, "duplicated:    %d\n", st.duplicated.Load())
	fmt.Fprintf(&b, "unacknowledged:%d (given up after retries)\n", st.unacked.Load())
	fmt.Fprintf(&b, "unanswered:    %d (acknowledged in a bot conversation, no answer seen)\n", st.unanswered.Load())
	fmt.Fprintf(&b, "retries:       %d (error frames %d, reconnects %d)\n", st.retries.Load(), st.errorFrames.Load(), st.reconnects.Load())
	fmt.Fprintf(&b, "handoffs:      %d requested, %d claimed, %d replies, %d given back\n", st.handoffs.Load(), st.claims.Load(), st.replies.Load(), st.givebacks.Load())
	fmt.Fprintf(&b, "verified:      %d conversations read back from Redis; %d purged by `conversations purge`\n", st.verified.Load(), st.purged.Load())
	for _, m := range s.marks {
		fmt.Fprintf(&b, "event:         %v %s\n", m.at.Round(time.Second), m.what)
	}
	sm.mu.Lock()
	rows := append([]sampleRow(nil), sm.rows...)
	sm.mu.Unlock()
	flat := func(name string, get func(sampleRow) float64) {
		var after []float64
		for _, r := range rows {
			if r.at >= s.o.warmup && r.at <= s.o.duration {
				if v := get(r); v > 0 {
					after = append(after, v)
				}
			}
		}
		if len(after) < 4 {
			return
		}
		q := len(after) / 4
		first, last := mean(after[:q]), mean(after[len(after)-q:])
		lo, hi := after[0], after[0]
		for _, v := range after {
			lo, hi = min(lo, v), max(hi, v)
		}
		fmt.Fprintf(&b, "%-14s warm-up to end of traffic: first quarter %.1f, last quarter %.1f (%+.1f%%), min %.1f, max %.1f\n",
			name+":", first, last, 100*(last-first)/first, lo, hi)
	}
	flat("RSS B MiB", func(r sampleRow) float64 { return r.rss[1] })
	flat("goroutines B", func(r sampleRow) float64 { return r.goroutines[1] })
	flat("fds B", func(r sampleRow) float64 { return r.fds[1] })
	flat("RSS A MiB", func(r sampleRow) float64 { return r.rss[0] })
	flat("goroutines A", func(r sampleRow) float64 { return r.goroutines[0] })
	flat("redis MiB", func(r sampleRow) float64 { return r.redisMem })
	flat("redis keys", func(r sampleRow) float64 { return r.redisKeys })
	return b.String()
}

func mean(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t / float64(len(v))
}
