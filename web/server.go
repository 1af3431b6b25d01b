// Package web is civibot's one HTTP server: the standard library mux,
// security headers, request limits and timeouts, /healthz and /readyz, the
// embedded chat widget (/widget.js, the full-page chat at /) and graceful
// shutdown.
//
// Other packages mount their routes with Handle (the web chat socket at
// /ws, the console at /console/, webhooks), add readiness checks with
// AddReadiness (the store, the handoff queue) and shutdown hooks with
// OnShutdown (tell open chats to reconnect elsewhere, finish in-flight
// turns). Everything is registered before Serve.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the HTTP server. Build it with New, register routes, checks and
// hooks, then Serve.
type Server struct {
	cfg    Config
	brand  Branding
	log    *slog.Logger
	mux    *http.ServeMux
	srv    *http.Server
	assets *assets

	mu     sync.Mutex
	checks []check
	hooks  []hook

	draining atomic.Bool
}

type check struct {
	name string
	fn   func(ctx context.Context) error
}

type hook struct {
	name string
	fn   func(ctx context.Context) error
}

// readyTimeout bounds one /readyz request (all checks run in parallel).
const readyTimeout = 2 * time.Second

// New builds the server. Unset Config fields take their defaults; log may be nil.
func New(cfg Config, brand Branding, log *slog.Logger) (*Server, error) {
	cfg = cfg.withDefaults()
	brand = brand.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("web: config: %w", err)
	}
	if err := brand.Validate(); err != nil {
		return nil, fmt.Errorf("web: branding: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a, err := newAssets(brand)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, brand: brand, log: log, mux: http.NewServeMux(), assets: a}
	s.srv = &http.Server{
		Addr:              cfg.Addr,
		Handler:           s.Handler(),
		ReadTimeout:       cfg.ReadTimeout,
		ReadHeaderTimeout: min(cfg.ReadTimeout, 10*time.Second),
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.assets.mount(s.mux)
	return s, nil
}

// Config returns the server's effective configuration (defaults applied).
func (s *Server) Config() Config { return s.cfg }

// Handle mounts a handler on the mux (Go 1.22 patterns: "GET /console/",
// "POST /telegram/webhook"). Every route gets the security headers, the
// body limit and panic recovery.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.mux.HandleFunc(pattern, h)
}

// AddReadiness adds a check to /readyz. It should answer within a second or
// two (it gets a context with a deadline); a non-nil error makes civibot
// not ready. /readyz shows only a generic reason ("unavailable",
// "timeout"); the error itself (which may name a Redis address) goes to the
// log.
func (s *Server) AddReadiness(name string, fn func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks = append(s.checks, check{name, fn})
}

// OnShutdown adds a hook run when the server shuts down, in parallel with
// the other hooks and with closing the listener. The context ends at the
// shutdown deadline (Config.ShutdownTimeout); a hook should return by then.
func (s *Server) OnShutdown(name string, fn func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, hook{name, fn})
}

// Draining reports whether the server is shutting down.
func (s *Server) Draining() bool { return s.draining.Load() }

// Handler is the whole server as an http.Handler (middleware and mux),
// for tests with httptest.NewServer.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	h = s.limitBody(h)
	h = s.securityHeaders(h)
	if s.cfg.TrustProxy {
		h = realIP(h)
	}
	return s.recoverPanics(h)
}

// ListenAndServe listens on Config.Addr and serves until ctx ends, then
// shuts down gracefully.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then shuts down gracefully within
// Config.ShutdownTimeout: /readyz fails, the listener closes, the shutdown
// hooks run and in-flight requests finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("web: serve: %w", serr))
	}
	return err
}

// Shutdown stops the server: readiness fails at once, then the listener
// closes while the shutdown hooks run. When ctx ends first, remaining
// connections are closed and an error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.draining.Swap(true) {
		return nil
	}
	start := time.Now()
	s.log.InfoContext(ctx, "shutting down")
	s.mu.Lock()
	hooks := append([]hook(nil), s.hooks...)
	s.mu.Unlock()

	var wg sync.WaitGroup
	errs := make([]error, len(hooks)+1)
	for i, h := range hooks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.fn(ctx); err != nil {
				errs[i] = fmt.Errorf("web: shutdown %s: %w", h.name, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.srv.Shutdown(ctx); err != nil {
			errs[len(hooks)] = fmt.Errorf("web: shutdown http: %w", err)
		}
	}()
	wg.Wait()
	err := errors.Join(errs...)
	if err != nil {
		_ = s.srv.Close()
		s.log.WarnContext(ctx, "shutdown incomplete", "error", err, "took_ms", time.Since(start).Milliseconds())
		return err
	}
	s.log.InfoContext(ctx, "shutdown complete", "took_ms", time.Since(start).Milliseconds())
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, readiness{Status: "shutting down"})
		return
	}
	s.mu.Lock()
	checks := append([]check(nil), s.checks...)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	results := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.fn(ctx)
		}()
	}
	wg.Wait()
	out := readiness{Status: "ok", Checks: map[string]string{}}
	detail := map[string]string{}
	code := http.StatusOK
	for i, c := range checks {
		switch err := results[i]; {
		case err == nil:
			out.Checks[c.name] = "ok"
			continue
		case errors.Is(err, context.DeadlineExceeded):
			out.Checks[c.name] = "timeout"
		default:
			out.Checks[c.name] = "unavailable"
		}
		detail[c.name] = results[i].Error()
		out.Status = "unavailable"
		code = http.StatusServiceUnavailable
	}
	if code != http.StatusOK {
		s.log.WarnContext(r.Context(), "not ready", "checks", detail)
	}
	writeJSON(w, code, out)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
