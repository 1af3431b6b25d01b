package web

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/civibot/civibot/internal/testtime"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newServer(t *testing.T, cfg Config, brand Branding) *Server {
	t.Helper()
	if brand.Name == "" {
		brand = DefaultBranding()
	}
	s, err := New(cfg, brand, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHealthAndReadiness(t *testing.T) {
	s := newServer(t, Config{}, Branding{})
	var storeDown atomic.Bool
	s.AddReadiness("store", func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("readiness check got a context without deadline")
		}
		if storeDown.Load() {
			return errors.New("conversation: dial tcp 10.0.0.7:6379: connection refused")
		}
		return nil
	})
	h := s.Handler()

	if r := get(t, h, "/healthz", nil); r.StatusCode != http.StatusOK {
		t.Errorf("healthz = %d", r.StatusCode)
	}
	tests := []struct {
		name       string
		down       bool
		draining   bool
		want       int
		wantInBody string
	}{
		{"ready", false, false, 200, `"store":"ok"`},
		{"store down", true, false, 503, `"store":"unavailable"`},
		{"shutting down", false, true, 503, `"shutting down"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storeDown.Store(tt.down)
			s.draining.Store(tt.draining)
			r := get(t, h, "/readyz", nil)
			b := body(t, r)
			if r.StatusCode != tt.want || !strings.Contains(b, tt.wantInBody) {
				t.Errorf("readyz = %d %s, want %d containing %s", r.StatusCode, b, tt.want, tt.wantInBody)
			}
			if strings.Contains(b, "10.0.0.7") {
				t.Errorf("readyz shows the store's address: %s", b)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("readyz cacheable: %q", r.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newServer(t, Config{FrameAncestors: []string{"'self'", "https://www.musterstadt.example"}, PublicURL: "https://chat.musterstadt.example"}, Branding{})
	s.HandleFunc("GET /console/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "console") })
	for _, path := range []string{"/", "/widget.js", "/healthz", "/console/x", "/nope"} {
		r := get(t, s.Handler(), path, nil)
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'self' https://www.musterstadt.example") {
			t.Errorf("%s: CSP frame-ancestors missing: %q", path, csp)
		}
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP script-src not strict: %q", path, csp)
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options":    "nosniff",
			"Referrer-Policy":           "no-referrer",
			"Strict-Transport-Security": "max-age=31536000",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if !strings.Contains(r.Header.Get("Permissions-Policy"), "camera=()") {
			t.Errorf("%s: Permissions-Policy = %q", path, r.Header.Get("Permissions-Policy"))
		}
	}
	// Default: only civibot itself may frame its pages.
	r := get(t, newServer(t, Config{}, Branding{}).Handler(), "/", nil)
	if csp := r.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'self'") {
		t.Errorf("default frame-ancestors: %q", csp)
	}
	if r.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS set for a plain http server")
	}
}

func TestStaticAssets(t *testing.T) {
	brand := Branding{Name: `Muster<script>alert(1)</script>stadt`, PrimaryColor: "#123456", OnPrimaryColor: "#ffffff",
		LogoURL: "https://www.musterstadt.example/logo.png", PrivacyURL: "https://www.musterstadt.example/datenschutz"}
	s := newServer(t, Config{}, brand)
	h := s.Handler()

	tests := []struct {
		path, ctype, cache string
		cross              bool
		contains           string
	}{
		{"/widget.js", "text/javascript", "public, max-age=300", true, "data-lang"},
		{"/widget.css", "text/css", "public, max-age=300", true, ".cb-bubble"},
		{"/widget/config.json", "application/json", "public, max-age=60", true, `"primary_color":"#123456"`},
		{"/", "text/html", "no-cache", false, "Muster&lt;script&gt;alert(1)&lt;/script&gt;stadt"},
		{"/favicon.svg", "image/svg+xml", "public, max-age=300", false, "<svg"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := get(t, h, tt.path, nil)
			b := body(t, r)
			if r.StatusCode != 200 {
				t.Fatalf("status %d", r.StatusCode)
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), tt.ctype) {
				t.Errorf("Content-Type = %q, want %s", r.Header.Get("Content-Type"), tt.ctype)
			}
			if r.Header.Get("Cache-Control") != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", r.Header.Get("Cache-Control"), tt.cache)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin") == "*"; got != tt.cross {
				t.Errorf("cross-origin = %v, want %v", got, tt.cross)
			}
			if !strings.Contains(b, tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
			etag := r.Header.Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			r2 := get(t, h, tt.path, map[string]string{"If-None-Match": etag})
			if r2.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation = %d, want 304", r2.StatusCode)
			}
		})
	}
	if b := body(t, get(t, h, "/", nil)); strings.Contains(b, "<script>alert") {
		t.Error("city name not escaped in the page")
	}
	var cfg widgetConfig
	if err := json.Unmarshal([]byte(body(t, get(t, h, "/widget/config.json", nil))), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Name != brand.Name || cfg.LogoURL != brand.LogoURL || cfg.PrivacyURL != brand.PrivacyURL || cfg.Socket != "/ws" || cfg.Protocol != 1 {
		t.Errorf("widget config = %+v", cfg)
	}
	if r := get(t, h, "/index.html", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("/index.html = %d, want 404 (the page is at /)", r.StatusCode)
	}
}

func TestBodyLimitAndPanics(t *testing.T) {
	s := newServer(t, Config{MaxBodyBytes: 1024}, Branding{})
	s.HandleFunc("POST /telegram/webhook", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, err.Error(), 400)
			return
		}
		io.WriteString(w, "ok")
	})
	s.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	tests := []struct {
		name string
		body io.Reader
		size int64 // -1: chunked, no Content-Length
		want int
	}{
		{"small", strings.NewReader("hello"), 5, 200},
		{"declared too large", strings.NewReader(strings.Repeat("x", 2048)), 2048, 413},
		{"chunked too large", io.MultiReader(strings.NewReader(strings.Repeat("x", 4096))), -1, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/telegram/webhook", tt.body)
			req.ContentLength = tt.size
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Errorf("panic = %d, want 500", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("server not serving after a panic: %v", err)
	}
	resp.Body.Close()
}

func TestTrustProxy(t *testing.T) {
	for _, trust := range []bool{false, true} {
		s := newServer(t, Config{TrustProxy: trust}, Branding{})
		var seen string
		s.HandleFunc("GET /ip", func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr })
		req := httptest.NewRequest(http.MethodGet, "/ip", nil)
		req.RemoteAddr = "10.0.0.1:5555"
		req.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.7")
		s.Handler().ServeHTTP(httptest.NewRecorder(), req)
		want := "10.0.0.1:5555"
		if trust {
			want = "198.51.100.7:0"
		}
		if seen != want {
			t.Errorf("trust=%v: RemoteAddr = %q, want %q", trust, seen, want)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	s := newServer(t, Config{ShutdownTimeout: 3 * time.Second}, Branding{})
	release := make(chan struct{})
	var started atomic.Bool
	s.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		started.Store(true)
		<-release
		io.WriteString(w, "finished")
	})
	var hookRan atomic.Bool
	var readyDuringHook atomic.Int32
	s.OnShutdown("chats", func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("shutdown hook without deadline")
		}
		r := get(t, s.Handler(), "/readyz", nil)
		readyDuringHook.Store(int32(r.StatusCode))
		hookRan.Store(true)
		close(release) // the in-flight request may finish now
		return nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	url := "http://" + ln.Addr().String()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- string(b)
	}()
	testtime.WaitFor(t, 5*time.Second, "the slow request to start", started.Load)
	cancel()
	if body := <-got; body != "finished" {
		t.Errorf("in-flight request = %q, want it finished", body)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v", err)
	}
	if !hookRan.Load() || readyDuringHook.Load() != http.StatusServiceUnavailable {
		t.Errorf("hook ran %v, readyz during shutdown %d", hookRan.Load(), readyDuringHook.Load())
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("listener still open after shutdown")
	}
}

func TestShutdownTimeout(t *testing.T) {
	s := newServer(t, Config{ShutdownTimeout: 200 * time.Millisecond}, Branding{})
	s.OnShutdown("stuck", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	start := time.Now()
	cancel()
	err = <-served
	if err == nil || !strings.Contains(err.Error(), "shutdown stuck") {
		t.Errorf("Serve = %v, want the stuck hook reported", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %v, want about the 200ms timeout", d)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		brand Branding
		want  string
	}{
		{"defaults", DefaultConfig(), DefaultBranding(), ""},
		{"any free port", Config{Addr: "127.0.0.1:0", MaxBodyBytes: 1}, DefaultBranding(), ""},
		{"ipv6", Config{Addr: "[::1]:8080", MaxBodyBytes: 1}, DefaultBranding(), ""},
		{"bogus addr", Config{Addr: "bogus", MaxBodyBytes: 1}, DefaultBranding(), `server.addr "bogus": not host:port`},
		{"port out of range", Config{Addr: ":99999", MaxBodyBytes: 1}, DefaultBranding(), `port "99999" is not a number from 0 to 65535`},
		{"named port", Config{Addr: ":http", MaxBodyBytes: 1}, DefaultBranding(), `port "http"`},
		{"bad public url", Config{Addr: ":1", MaxBodyBytes: 1, PublicURL: "chat.example"}, DefaultBranding(), "server.public_url must start with https://"},
		{"bad origin", Config{Addr: ":1", MaxBodyBytes: 1, AllowedOrigins: []string{"www.city.example"}}, DefaultBranding(), "server.allowed_origins"},
		{"origin with path", Config{Addr: ":1", MaxBodyBytes: 1, AllowedOrigins: []string{"https://www.city.example/chat"}}, DefaultBranding(), "server.allowed_origins"},
		{"bad frame ancestor", Config{Addr: ":1", MaxBodyBytes: 1, FrameAncestors: []string{"https://a.example; script-src *"}}, DefaultBranding(), "server.frame_ancestors"},
		{"wildcard frame ancestor", Config{Addr: ":1", MaxBodyBytes: 1, FrameAncestors: []string{"https://*.city.example"}}, DefaultBranding(), ""},
		{"low contrast", DefaultConfig(), Branding{Name: "X", PrimaryColor: "#ffcc00", OnPrimaryColor: "#ffffff"}, "contrast of 1.51:1"},
		{"bad colour", DefaultConfig(), Branding{Name: "X", PrimaryColor: "blue"}, "city.primary_color: want a colour like #00507a"},
		{"no name", DefaultConfig(), Branding{}, "city.name is required"},
		{"javascript logo", DefaultConfig(), Branding{Name: "X", LogoURL: "javascript:alert(1)"}, "city.logo_url must be an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := errors.Join(tt.cfg.Validate(), tt.brand.Validate())
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := New(Config{}, Branding{Name: "X", PrimaryColor: "#eeeeee"}, nil); err == nil {
		t.Error("New accepted unreadable colours")
	}
}

func TestContrastRatio(t *testing.T) {
	tests := []struct {
		a, b RGB
		want float64
	}{
		{RGB{0, 0, 0}, RGB{255, 255, 255}, 21},
		{RGB{255, 255, 255}, RGB{255, 255, 255}, 1},
		{RGB{0x00, 0x50, 0x7a}, RGB{255, 255, 255}, 8.65},
	}
	for _, tt := range tests {
		if got := ContrastRatio(tt.a, tt.b); got < tt.want-0.01 || got > tt.want+0.01 {
			t.Errorf("ContrastRatio(%v, %v) = %.2f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
}
