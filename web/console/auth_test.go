package console_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/internal/redistest"
	"github.com/civibot/civibot/web/console"
)

func TestLogin(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	tests := []struct {
		name       string
		body       any
		code       int
		errCode    string
		wantCookie bool
	}{
		{"ok", map[string]string{"username": "anna", "password": password}, 200, "", true},
		{"name in capitals", map[string]string{"username": " Anna ", "password": password}, 200, "", true},
		{"wrong password", map[string]string{"username": "anna", "password": "wrong horse battery"}, 401, "bad_credentials", false},
		{"unknown user", map[string]string{"username": "nobody", "password": "wrong horse battery"}, 401, "bad_credentials", false},
		{"impossible user name", map[string]string{"username": "{x}", "password": "wrong horse battery"}, 401, "bad_credentials", false},
		{"disabled", map[string]string{"username": "dora", "password": password}, 401, "bad_credentials", false},
		{"empty password", map[string]string{"username": "anna", "password": ""}, 400, "invalid", false},
		{"not JSON", "username=anna&password=x", 400, "bad_json", false},
		{"unknown field", map[string]string{"username": "anna", "password": password, "admin": "yes"}, 400, "bad_json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.newClient()
			code, body := c.do("POST", "/console/api/login", tt.body)
			if code != tt.code || (tt.errCode != "" && body["error"] != tt.errCode) {
				t.Fatalf("login = %d %v, want %d %s", code, body, tt.code, tt.errCode)
			}
			if got := c.cookie() != nil; got != tt.wantCookie {
				t.Errorf("cookie set = %v, want %v", got, tt.wantCookie)
			}
			if tt.code == 200 {
				if body["csrf"] == "" || body["user"].(map[string]any)["display_name"] != "Anna Schmidt" {
					t.Errorf("login answer = %v", body)
				}
				if code, me := c.do("GET", "/console/api/me", nil); code != 200 || me["csrf"] != body["csrf"] {
					t.Errorf("me = %d %v", code, me)
				}
			}
		})
	}

	// No user enumeration: unknown user and wrong password answer alike.
	c := h.newClient()
	_, wrong := c.do("POST", "/console/api/login", map[string]string{"username": "ben", "password": "wrong horse battery"})
	_, unknown := c.do("POST", "/console/api/login", map[string]string{"username": "bert", "password": "wrong horse battery"})
	if !reflect.DeepEqual(wrong, unknown) {
		t.Errorf("wrong password %v and unknown user %v are told apart", wrong, unknown)
	}
	// Nor a disabled account's right password from a wrong one (issue 21.3).
	_, right := h.newClient().do("POST", "/console/api/login", map[string]string{"username": "dora", "password": password})
	if !reflect.DeepEqual(right, wrong) {
		t.Errorf("disabled account's right password %v and a wrong password %v are told apart", right, wrong)
	}
}

// TestLoginSlowedAcrossAddresses: a guesser spread over many addresses
// (each under the per-address lockout) is slowed per account; the owner
// still logs in from her known address; IPv6 addresses count by /64;
// administrators see the attempts (issue 16.1).
func TestLoginSlowedAcrossAddresses(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			o := harnessOpts{trustProxy: true, logins: 1000}
			if backend == "redis" {
				o.accounts = func(now func() time.Time) *accounts.Store {
					a, err := accounts.NewRedis(accountsConfig, redistest.Start(t).Client(t), "test:", accounts.Options{Now: now})
					if err != nil {
						t.Fatal(err)
					}
					for _, u := range []struct {
						name string
						role accounts.Role
					}{{"anna", accounts.RoleCaseworker}, {"rita", accounts.RoleAdmin}} {
						if _, err := a.AddUser(bg, u.name, "", u.role, password); err != nil {
							t.Fatal(err)
						}
					}
					return a
				}
			}
			h := newHarness(t, o)
			from := func(addr string) reqOpt { return header("X-Forwarded-For", addr) }
			login := func(user, pass, addr string) (int, map[string]any) {
				return h.newClient().do("POST", "/console/api/login", map[string]string{"username": user, "password": pass}, from(addr))
			}
			// Anna's office (an IPv6 /64) is known from a login.
			if code, body := login("anna", password, "2001:db8:aa:1::10"); code != 200 {
				t.Fatalf("anna's first login = %d %v", code, body)
			}
			// Guesses from many addresses, 2 each (the lockout is 3 per address).
			for i := range accounts.DefaultSlowAfter {
				if code, body := login("anna", "wrong horse battery", fmt.Sprintf("198.51.100.%d", i/2)); code != 401 {
					t.Fatalf("guess %d = %d %v", i+1, code, body)
				}
			}
			resp := h.newClient().raw("POST", "/console/api/login", map[string]string{"username": "anna", "password": "wrong horse battery"}, from("203.0.113.50"))
			resp.Body.Close()
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("guess from a new address after %d failures = %d (Retry-After %q), want 429", accounts.DefaultSlowAfter, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			code, body := login("anna", password, "203.0.113.51")
			if code != http.StatusTooManyRequests || body["error"] != "slowed" || body["until"] == nil {
				t.Errorf("right password from an unknown address while slowed = %d %v", code, body)
			}
			// The owner, from another address of her office's /64, is not slowed.
			if code, body := login("anna", password, "2001:db8:aa:1:ffff::7"); code != 200 {
				t.Errorf("anna from her office = %d %v", code, body)
			}
			// The delay grows: after waiting, one more guess, then a longer wait.
			h.clock.Add(2 * time.Second)
			if code, body := login("anna", "wrong horse battery", "203.0.113.52"); code != 401 {
				t.Fatalf("guess after the wait = %d %v", code, body)
			}
			h.clock.Add(time.Second)
			if code, body := login("anna", "wrong horse battery", "203.0.113.53"); code != http.StatusTooManyRequests || body["error"] != "slowed" {
				t.Errorf("guess 1s after the 11th failure = %d %v, want slowed (2s)", code, body)
			}
			// Administrators see the attempts; caseworkers may not.
			anna := h.newClient()
			if code, body := anna.do("POST", "/console/api/login", map[string]string{"username": "anna", "password": password}, from("2001:db8:aa:1::10")); code != 200 {
				t.Fatalf("anna = %d %v", code, body)
			}
			if code, _ := anna.do("GET", "/console/api/login-events", nil); code != http.StatusForbidden {
				t.Errorf("login events for a caseworker = %d", code)
			}
			code, body = h.login("rita").do("GET", "/console/api/login-events?limit=50", nil)
			if code != 200 {
				t.Fatalf("login events = %d %v", code, body)
			}
			outcomes := map[string]int{}
			for _, e := range body["events"].([]any) {
				ev := e.(map[string]any)
				if ev["user"] == "anna" {
					outcomes[ev["outcome"].(string)]++
				}
				if ev["address"] == "2001:db8:aa:1:ffff::7" {
					t.Errorf("an IPv6 address in an event is not grouped by /64: %v", ev)
				}
			}
			if outcomes["bad_credentials"] != accounts.DefaultSlowAfter+1 || outcomes["slowed"] != 3 || outcomes["ok"] != 3 {
				t.Errorf("anna's login outcomes = %v", outcomes)
			}
		})
	}
}

// TestLoginIPv6Grouped: the per-address login limit counts an IPv6 /64
// as one address.
func TestLoginIPv6Grouped(t *testing.T) {
	h := newHarness(t, harnessOpts{trustProxy: true, logins: 3})
	for i := range 3 {
		addr := fmt.Sprintf("2001:db8:bb:2::%x", i+1)
		if code, body := h.newClient().do("POST", "/console/api/login", map[string]string{"username": fmt.Sprintf("guess%d", i), "password": "x"}, header("X-Forwarded-For", addr)); code != 401 {
			t.Fatalf("attempt %d = %d %v", i+1, code, body)
		}
	}
	code, body := h.newClient().do("POST", "/console/api/login", map[string]string{"username": "anna", "password": password}, header("X-Forwarded-For", "2001:db8:bb:2:ffff:ffff:ffff:ffff"))
	if code != http.StatusTooManyRequests || body["error"] != "rate_limited" {
		t.Errorf("fourth attempt from the same /64 = %d %v, want rate_limited", code, body)
	}
	if code, body := h.newClient().do("POST", "/console/api/login", map[string]string{"username": "anna", "password": password}, header("X-Forwarded-For", "2001:db8:bb:3::1")); code != 200 {
		t.Errorf("another /64 = %d %v", code, body)
	}
}

func TestLoginCookie(t *testing.T) {
	tests := []struct {
		name   string
		o      harnessOpts
		cookie string
		secure bool
		path   string
	}{
		{"plain http", harnessOpts{}, "civibot_console", false, "/console"},
		{"tls", harnessOpts{tls: true}, "__Host-civibot_console", true, "/"},
		{"https public url", harnessOpts{public: "https://chat.musterstadt.example"}, "__Host-civibot_console", true, "/"},
		{"always", harnessOpts{cfg: console.Config{SecureCookie: "always"}}, "__Host-civibot_console", true, "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.o)
			c := h.newClient()
			resp := c.raw("POST", "/console/api/login", map[string]string{"username": "anna", "password": password})
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("login = %d", resp.StatusCode)
			}
			var ck *http.Cookie
			for _, k := range resp.Cookies() {
				ck = k
			}
			if ck == nil {
				t.Fatal("no cookie")
			}
			if ck.Name != tt.cookie || ck.Secure != tt.secure || ck.Path != tt.path || !ck.HttpOnly ||
				ck.SameSite != http.SameSiteStrictMode || ck.Domain != "" || len(ck.Value) < 40 ||
				ck.MaxAge < int((accounts.DefaultSessionMax-time.Minute).Seconds()) || ck.MaxAge > int(accounts.DefaultSessionMax.Seconds()) {
				t.Errorf("cookie = %+v", ck)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q", cc)
			}
			if !tt.secure {
				return
			}
			// The cookie works where the browser sends it.
			req, _ := http.NewRequest("GET", h.srv.URL+"/console/api/me", nil)
			req.AddCookie(ck)
			r2, err := h.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r2.Body.Close()
			if r2.StatusCode != 200 {
				t.Errorf("me with the secure cookie = %d", r2.StatusCode)
			}
		})
	}
}

func TestLoginLockout(t *testing.T) {
	h := newHarness(t, harnessOpts{}) // max_failures 3
	c := h.newClient()
	for i := 0; i < 2; i++ {
		if code, body := c.do("POST", "/console/api/login", map[string]string{"username": "anna", "password": "wrong horse battery"}); code != 401 {
			t.Fatalf("failure %d: %d %v", i+1, code, body)
		}
	}
	resp := c.raw("POST", "/console/api/login", map[string]string{"username": "anna", "password": "wrong horse battery"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third failure = %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Locked: even the right password is refused, with a clear message.
	code, body := c.do("POST", "/console/api/login", map[string]string{"username": "anna", "password": password})
	if code != http.StatusTooManyRequests || body["error"] != "locked" || !strings.Contains(body["message"].(string), "too many failed logins") || body["until"] == nil {
		t.Fatalf("locked login = %d %v", code, body)
	}
	// Another user from the same address is not locked.
	if code, _ := c.do("POST", "/console/api/login", map[string]string{"username": "ben", "password": password}); code != 200 {
		t.Errorf("ben = %d", code)
	}
	h.clock.Add(accounts.DefaultLockout + time.Second)
	if code, body := c.do("POST", "/console/api/login", map[string]string{"username": "anna", "password": password}); code != 200 {
		t.Errorf("after the lockout = %d %v", code, body)
	}
}

func TestLoginRateLimit(t *testing.T) {
	h := newHarness(t, harnessOpts{logins: 4})
	c := h.newClient()
	for i := 0; i < 4; i++ {
		// Different names: the per-name lockout never triggers.
		if code, body := c.do("POST", "/console/api/login", map[string]string{"username": fmt.Sprintf("guess%d", i), "password": "wrong horse battery"}); code != 401 {
			t.Fatalf("attempt %d: %d %v", i+1, code, body)
		}
	}
	resp := c.raw("POST", "/console/api/login", map[string]string{"username": "anna", "password": password})
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("fifth attempt = %d, Retry-After %q; want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	code, body := c.do("POST", "/console/api/login", map[string]string{"username": "anna", "password": password})
	if code != http.StatusTooManyRequests || body["error"] != "rate_limited" || !strings.Contains(body["message"].(string), "too many login attempts") {
		t.Errorf("limited login = %d %v", code, body)
	}
	h.clock.Add(time.Minute)
	if code, body := c.do("POST", "/console/api/login", map[string]string{"username": "anna", "password": password}); code != 200 {
		t.Errorf("a minute later = %d %v", code, body)
	}
}

func TestCSRFAndOrigin(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.waiting("w1", "web", "de", "Ich brauche einen Termin")
	c := h.login("anna")
	tests := []struct {
		name string
		opts []reqOpt
		code int
		err  string
	}{
		{"missing token", []reqOpt{noHeader("X-CSRF-Token")}, 403, "csrf_missing"},
		{"wrong token", []reqOpt{header("X-CSRF-Token", "nope")}, 403, "csrf_wrong"},
		{"other origin", []reqOpt{header("Origin", "https://evil.example")}, 403, "bad_origin"},
		{"null origin", []reqOpt{header("Origin", "null")}, 403, "bad_origin"},
		{"cross-site fetch", []reqOpt{header("Sec-Fetch-Site", "cross-site")}, 403, "bad_origin"},
		{"same-site fetch", []reqOpt{header("Sec-Fetch-Site", "same-site")}, 403, "bad_origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := c.do("POST", "/console/api/conversations/w1/claim", nil, tt.opts...)
			if code != tt.code || body["error"] != tt.err {
				t.Errorf("claim = %d %v, want %d %s", code, body, tt.code, tt.err)
			}
		})
	}
	// Login from another origin is refused too (login CSRF).
	if code, body := h.newClient().do("POST", "/console/api/login", map[string]string{"username": "anna", "password": password},
		header("Origin", "https://evil.example")); code != 403 || body["error"] != "bad_origin" {
		t.Errorf("cross-origin login = %d %v", code, body)
	}
	if cv, _ := h.store.Get(bg, "w1"); cv.Status != "waiting" {
		t.Fatalf("a refused request changed the conversation: %s", cv.Status)
	}
	// With the token and the right origin it works; a client that sends
	// no Origin (not a browser) needs the token alone.
	if code, body := c.do("POST", "/console/api/conversations/w1/claim", nil, noHeader("Origin"), header("Sec-Fetch-Site", "same-origin")); code != 200 {
		t.Fatalf("claim = %d %v", code, body)
	}
	// Reads need the session but no token.
	if code, _ := c.do("GET", "/console/api/queue", nil, noHeader("X-CSRF-Token")); code != 200 {
		t.Errorf("queue = %d", code)
	}
	if code, body := h.newClient().do("GET", "/console/api/queue", nil); code != 401 || body["error"] != "no_session" {
		t.Errorf("queue without a session = %d %v", code, body)
	}
}

func TestSessionExpiry(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.login("anna")

	// Idle: used within the idle time it lives on.
	for i := 0; i < 3; i++ {
		h.clock.Add(accounts.DefaultSessionIdle - time.Minute)
		if code, body := c.do("GET", "/console/api/queue", nil); code != 200 {
			t.Fatalf("after %d idle periods: %d %v", i+1, code, body)
		}
	}
	h.clock.Add(accounts.DefaultSessionIdle + time.Second)
	resp := c.raw("GET", "/console/api/queue", nil)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("idle session = %d, want 401", resp.StatusCode)
	}
	if code, body := c.do("GET", "/console/api/me", nil); code != 401 || body["error"] != "no_session" {
		t.Errorf("me after expiry = %d %v (the cookie should be cleared)", code, body)
	}
	cleared := false
	for _, k := range resp.Cookies() {
		cleared = cleared || k.MaxAge < 0
	}
	if !cleared {
		t.Error("the expired session's cookie was not cleared")
	}

	// Absolute: a session in constant use still ends after session_max.
	c = h.login("anna")
	for used := time.Duration(0); used < accounts.DefaultSessionMax-20*time.Minute; used += 20 * time.Minute {
		h.clock.Add(20 * time.Minute)
		if code, _ := c.do("GET", "/console/api/queue", nil); code != 200 {
			t.Fatalf("busy session ended after %v", used)
		}
	}
	h.clock.Add(21 * time.Minute)
	if code, body := c.do("GET", "/console/api/queue", nil); code != 401 || body["error"] != "session_expired" {
		t.Errorf("session after session_max = %d %v", code, body)
	}

	// The live socket ends too, at its next heartbeat.
	c = h.login("anna")
	l := c.live()
	h.clock.Add(accounts.DefaultSessionIdle + time.Second)
	l.send(map[string]string{"type": "heartbeat"})
	if f := l.next("session_end"); f["reason"] != "session_expired" {
		t.Errorf("session_end = %v", f)
	}
	if _, _, err := l.ws.ReadMessage(); !isClose(err, 4401) {
		t.Errorf("socket after session_end: %v, want close 4401", err)
	}
}

func TestLogout(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.login("anna")
	l := c.live()
	waitFor(t, "anna online", func() bool { return isOnline(h, "anna") })
	if code, body := c.do("POST", "/console/api/logout", nil, noHeader("X-CSRF-Token")); code != 403 {
		t.Errorf("logout without the token = %d %v", code, body)
	}
	if code, body := c.do("POST", "/console/api/logout", nil); code != 200 {
		t.Fatalf("logout = %d %v", code, body)
	}
	if f := l.next("session_end"); f["reason"] != "logged_out" {
		t.Errorf("session_end = %v", f)
	}
	if isOnline(h, "anna") {
		t.Error("anna is still online after logging out")
	}
	if code, _ := c.do("GET", "/console/api/me", nil); code != 401 {
		t.Errorf("me after logout = %d", code)
	}
}

func isOnline(h *harness, user string) bool {
	ps, err := h.desk.Online(bg)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, p := range ps {
		if p.Caseworker == user {
			return true
		}
	}
	return false
}

func TestSSO(t *testing.T) {
	sso := console.SSOConfig{Header: "X-Proxy-Secret", Secret: "0123456789abcdef0123", UserHeader: "X-Forwarded-User"}
	t.Run("on", func(t *testing.T) {
		h := newHarness(t, harnessOpts{cfg: console.Config{SSO: sso}})
		proxy := []reqOpt{header("X-Proxy-Secret", sso.Secret), header("X-Forwarded-User", "Ben")}
		c := h.newClient()
		code, body := c.do("GET", "/console/api/me", nil, proxy...)
		if code != 200 || body["user"].(map[string]any)["name"] != "ben" || c.cookie() == nil {
			t.Fatalf("me through the proxy = %d %v", code, body)
		}
		c.csrf = body["csrf"].(string)
		// The session cookie works on its own from then on.
		if code, _ := c.do("GET", "/console/api/queue", nil); code != 200 {
			t.Errorf("queue with the SSO session = %d", code)
		}
		// Asking again keeps the session.
		if _, again := c.do("GET", "/console/api/me", nil, proxy...); again["csrf"] != c.csrf {
			t.Errorf("a second /me made a new session")
		}
		// Another user through the same browser: the old session does not count.
		annaProxy := []reqOpt{header("X-Proxy-Secret", sso.Secret), header("X-Forwarded-User", "anna")}
		if code, body := c.do("GET", "/console/api/queue", nil, annaProxy...); code != 401 {
			t.Errorf("ben's session used for anna = %d %v", code, body)
		}
		if code, body := c.do("GET", "/console/api/me", nil, annaProxy...); code != 200 || body["user"].(map[string]any)["name"] != "anna" {
			t.Errorf("switch to anna = %d %v", code, body)
		}
		for _, tt := range []struct {
			name string
			opts []reqOpt
			err  string
		}{
			{"wrong secret", []reqOpt{header("X-Proxy-Secret", "0123456789abcdef0124"), header("X-Forwarded-User", "ben")}, "sso_rejected"},
			{"no user", []reqOpt{header("X-Proxy-Secret", sso.Secret)}, "sso_rejected"},
			{"unknown user", []reqOpt{header("X-Proxy-Secret", sso.Secret), header("X-Forwarded-User", "bert")}, "sso_no_account"},
			{"disabled user", []reqOpt{header("X-Proxy-Secret", sso.Secret), header("X-Forwarded-User", "dora")}, "sso_no_account"},
		} {
			fresh := h.newClient()
			if code, body := fresh.do("GET", "/console/api/me", nil, tt.opts...); code != 403 || body["error"] != tt.err || fresh.cookie() != nil {
				t.Errorf("%s: %d %v", tt.name, code, body)
			}
		}
		// Two copies of either header: refused (which one the proxy set is unknown).
		for _, dup := range []string{"X-Forwarded-User", "X-Proxy-Secret"} {
			fresh := h.newClient()
			add := func(r *http.Request) { r.Header.Add(dup, r.Header.Get(dup)) }
			if code, body := fresh.do("GET", "/console/api/me", nil, append(proxy, add)...); code != 403 || body["error"] != "sso_rejected" || fresh.cookie() != nil {
				t.Errorf("two %s headers: %d %v", dup, code, body)
			}
		}
		two := func(r *http.Request) {
			r.Header.Set("X-Proxy-Secret", sso.Secret)
			r.Header["X-Forwarded-User"] = []string{"anna", "rita"}
		}
		if code, body := h.newClient().do("GET", "/console/api/me", nil, two); code != 403 || body["error"] != "sso_rejected" {
			t.Errorf("X-Forwarded-User anna and rita: %d %v", code, body)
		}
		// With SSO on, the password login is off unless configured.
		if code, body := h.newClient().do("POST", "/console/api/login", map[string]string{"username": "rita", "password": password}); code != 403 || body["error"] != "password_login_off" {
			t.Errorf("password login with SSO on = %d %v, want 403 password_login_off", code, body)
		}
	})
	t.Run("on with password login", func(t *testing.T) {
		pw := sso
		pw.PasswordLogin = true
		h := newHarness(t, harnessOpts{cfg: console.Config{SSO: pw}})
		h.login("rita")
	})
	t.Run("off", func(t *testing.T) {
		h := newHarness(t, harnessOpts{})
		c := h.newClient()
		code, body := c.do("GET", "/console/api/me", nil, header("X-Proxy-Secret", sso.Secret), header("X-Forwarded-User", "ben"))
		if code != 401 || body["error"] != "no_session" || c.cookie() != nil {
			t.Errorf("SSO headers with SSO off = %d %v", code, body)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  console.Config
		want string
	}{
		{"zero", console.Config{}, ""},
		{"defaults", console.DefaultConfig(), ""},
		{"always", console.Config{SecureCookie: "always"}, ""},
		{"bad secure", console.Config{SecureCookie: "never"}, "console.secure_cookie must be auto or always"},
		{"short heartbeat", console.Config{HeartbeatInterval: time.Millisecond}, "console.heartbeat_interval"},
		{"sso complete", console.Config{SSO: console.SSOConfig{Header: "X-Secret", Secret: "0123456789abcdef", UserHeader: "X-User"}}, ""},
		{"sso half", console.Config{SSO: console.SSOConfig{Header: "X-Secret"}}, "set header, secret and user_header together"},
		{"sso short secret", console.Config{SSO: console.SSOConfig{Header: "X-Secret", Secret: "short", UserHeader: "X-User"}}, "at least 16 characters"},
		{"sso bad header", console.Config{SSO: console.SSOConfig{Header: "X Secret", Secret: "0123456789abcdef", UserHeader: "X-User"}}, "not a valid HTTP header name"},
		{"sso same header", console.Config{SSO: console.SSOConfig{Header: "X-User", Secret: "0123456789abcdef", UserHeader: "x-user"}}, "must differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := console.New(console.Config{SecureCookie: "never"}, console.Options{}); err == nil {
		t.Error("New accepted a bad config")
	}
}
