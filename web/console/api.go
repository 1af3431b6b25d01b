package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/civibot/civibot/accounts"
	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/handoff"
	"github.com/civibot/civibot/internal/clientaddr"
)

// Cookie names. Over HTTPS the __Host- prefix binds the cookie to this
// exact host (Secure, Path=/, no Domain); over plain HTTP (a laptop) the
// cookie is limited to /console.
const (
	cookieSecure = "__Host-civibot_console"
	cookiePlain  = "civibot_console"
	csrfHeader   = "X-CSRF-Token"
)

// caller is the logged-in caseworker of a request.
type caller struct {
	token   string
	session accounts.Session
}

// apiOpts says what a route needs.
type apiOpts struct {
	public bool  // no session needed (login, me)
	admin  bool  // the admin role is needed
	body   int64 // the body limit; 0: no body expected
}

type apiFunc func(w http.ResponseWriter, r *http.Request, c *caller) error

// api wraps a JSON route: headers, body limit, origin and CSRF checks for
// state-changing methods, the session, the role, and one mapping of errors
// to status codes.
func (h *Handler) api(fn apiFunc, o apiOpts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setAPIHeaders(w)
		if err := h.serveAPI(w, r, fn, o); err != nil {
			h.fail(w, r, err)
		}
	})
}

func setAPIHeaders(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
}

func (h *Handler) serveAPI(w http.ResponseWriter, r *http.Request, fn apiFunc, o apiOpts) error {
	if o.body > 0 {
		if r.ContentLength > o.body {
			return errTooLarge
		}
		r.Body = http.MaxBytesReader(w, r.Body, o.body)
	}
	changes := r.Method != http.MethodGet && r.Method != http.MethodHead
	if changes && !h.sameOrigin(r, false) {
		return errOrigin
	}
	if o.public {
		return fn(w, r, nil)
	}
	c, err := h.caller(r)
	if err != nil {
		if errors.Is(err, errNoSession) || errors.Is(err, errSessionExpired) {
			h.clearCookie(w, r)
		}
		return err
	}
	if changes {
		got := r.Header.Get(csrfHeader)
		if got == "" {
			return errCSRFMissing
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(c.session.CSRF)) != 1 {
			return errCSRFWrong
		}
	}
	if o.admin && c.session.Role != accounts.RoleAdmin {
		return errAdmin
	}
	return fn(w, r, c)
}

// caller resolves the session cookie.
func (h *Handler) caller(r *http.Request) (*caller, error) {
	token := sessionToken(r)
	if token == "" {
		return nil, errNoSession
	}
	s, err := h.accounts.Session(r.Context(), token)
	if errors.Is(err, accounts.ErrNoSession) {
		return nil, errSessionExpired
	}
	if err != nil {
		return nil, err
	}
	// Behind an SSO proxy the proxy's user wins: a session of someone else
	// (a shared workstation) must log in again through /me.
	if h.cfg.SSO.Enabled() {
		if user, ok := h.ssoUser(r); ok && user != s.User {
			return nil, errSessionExpired
		}
	}
	return &caller{token: token, session: s}, nil
}

func sessionToken(r *http.Request) string {
	for _, name := range []string{cookieSecure, cookiePlain} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// secure says whether the session cookie must be Secure for r.
func (h *Handler) secure(r *http.Request) bool {
	return h.cfg.SecureCookie == SecureAlways ||
		h.publicURL != nil && h.publicURL.Scheme == "https" ||
		r.TLS != nil ||
		h.trust && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// setCookie sets the session cookie. It lives as long as the session can
// (session_max after login); the server ends it earlier when it is idle.
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	c := &http.Cookie{
		Name: cookiePlain, Value: token, Path: "/console", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Expires: expires, MaxAge: max(1, int(time.Until(expires).Seconds())),
	}
	if h.secure(r) {
		c.Name, c.Path, c.Secure = cookieSecure, "/", true
	}
	http.SetCookie(w, c)
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookiePlain, Value: "", Path: "/console", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	if h.secure(r) {
		http.SetCookie(w, &http.Cookie{Name: cookieSecure, Value: "", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	}
}

// sameOrigin checks the request's Origin (and Sec-Fetch-Site) against the
// console's own origin: the host the request was sent to, or
// server.public_url's. A request without Origin (not a browser) passes
// unless required is set.
func (h *Handler) sameOrigin(r *http.Request, required bool) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return !required
	}
	o := strings.ToLower(origin)
	if h.publicURL != nil && o == strings.ToLower(h.publicURL.Scheme+"://"+h.publicURL.Host) {
		return true
	}
	scheme, host, ok := strings.Cut(o, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return false
	}
	return strings.EqualFold(host, r.Host)
}

// ssoUser returns the user name an SSO proxy vouches for, if the shared
// secret is right.
func (h *Handler) ssoUser(r *http.Request) (string, bool) {
	s := h.cfg.SSO
	// A request carrying either header twice is refused: which copy the
	// proxy set and which the client sent cannot be told apart.
	if len(r.Header.Values(s.Header)) != 1 || len(r.Header.Values(s.UserHeader)) != 1 {
		return "", false
	}
	got := r.Header.Get(s.Header)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.Secret)) != 1 {
		return "", false
	}
	user, err := accounts.NormalizeName(r.Header.Get(s.UserHeader))
	if err != nil {
		return "", false
	}
	return user, true
}

// clientIP is the address the login limits count: the IP, an IPv6
// address's /64 (the web server's middleware has already taken
// X-Forwarded-For when it trusts a proxy).
func clientIP(r *http.Request) string { return clientaddr.Key(r.RemoteAddr) }

// decode reads a JSON body into v, strictly.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return &apiError{status: http.StatusUnsupportedMediaType, code: "bad_content_type", msg: "send JSON with Content-Type: application/json"}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		if errors.Is(err, io.EOF) {
			return &apiError{status: http.StatusBadRequest, code: "bad_json", msg: "the request body is empty; send a JSON object"}
		}
		return &apiError{status: http.StatusBadRequest, code: "bad_json", msg: "the request body is not the JSON object expected: " + jsonProblem(err)}
	}
	// Only white space may follow (dec.More would let a stray "}" or "]"
	// through: it reports whether an enclosing object or array goes on).
	rest, err := io.ReadAll(io.MultiReader(dec.Buffered(), r.Body))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return &apiError{status: http.StatusBadRequest, code: "bad_json", msg: "the request body could not be read"}
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return &apiError{status: http.StatusBadRequest, code: "bad_json", msg: "the request body has data after the JSON object"}
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the body.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + strconv.Quote(te.Field) + " must be " + te.Type.String()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed JSON"
}

// apiError is an error with its HTTP answer.
type apiError struct {
	status int
	code   string
	msg    string
	retry  time.Duration
	extra  map[string]any
}

func (e *apiError) Error() string { return "console: " + e.code + ": " + e.msg }

var (
	errTooLarge       = &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: "the request body is too large"}
	errOrigin         = &apiError{status: http.StatusForbidden, code: "bad_origin", msg: "the request did not come from the console's own page"}
	errCSRFMissing    = &apiError{status: http.StatusForbidden, code: "csrf_missing", msg: "the X-CSRF-Token header is missing; reload the console"}
	errCSRFWrong      = &apiError{status: http.StatusForbidden, code: "csrf_wrong", msg: "the X-CSRF-Token header does not match the session; reload the console"}
	errNoSession      = &apiError{status: http.StatusUnauthorized, code: "no_session", msg: "log in first"}
	errSessionExpired = &apiError{status: http.StatusUnauthorized, code: "session_expired", msg: "the session has ended; log in again"}
	errAdmin          = &apiError{status: http.StatusForbidden, code: "admin_only", msg: "only an administrator may do this"}
	errBadID          = &apiError{status: http.StatusBadRequest, code: "bad_id", msg: "that is not a conversation id"}
)

// fail maps err to its JSON answer; unexpected errors are logged once here.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = h.classify(r, err)
	}
	writeError(w, ae)
}

func (h *Handler) classify(r *http.Request, err error) *apiError {
	var locked *accounts.LockedError
	var slowed *accounts.SlowedError
	switch {
	case errors.As(err, &locked):
		wait := locked.Until.Sub(h.now())
		return &apiError{status: http.StatusTooManyRequests, code: "locked", retry: wait,
			msg:   "too many failed logins; try again after " + locked.Until.UTC().Format(time.RFC3339),
			extra: map[string]any{"until": locked.Until.UTC()}}
	case errors.As(err, &slowed):
		wait := slowed.Until.Sub(h.now())
		return &apiError{status: http.StatusTooManyRequests, code: "slowed", retry: wait,
			msg:   "too many failed logins for this account; try again after " + slowed.Until.UTC().Format(time.RFC3339),
			extra: map[string]any{"until": slowed.Until.UTC()}}
	case errors.Is(err, accounts.ErrBadCredentials):
		// Also a disabled account's right password (no oracle on departed staff).
		return &apiError{status: http.StatusUnauthorized, code: "bad_credentials", msg: "wrong user name or password"}
	case errors.Is(err, accounts.ErrForbidden):
		return errAdmin
	case errors.Is(err, handoff.ErrAlreadyClaimed):
		return &apiError{status: http.StatusConflict, code: "already_claimed", msg: "another caseworker claimed this conversation first"}
	case errors.Is(err, handoff.ErrNotWaiting):
		return &apiError{status: http.StatusConflict, code: "not_waiting", msg: "this conversation is not waiting for a caseworker"}
	case errors.Is(err, handoff.ErrNotAssignee):
		return &apiError{status: http.StatusConflict, code: "not_assignee", msg: "you do not hold this conversation; claim it first"}
	case errors.Is(err, handoff.ErrUnknownCaseworker):
		return &apiError{status: http.StatusUnprocessableEntity, code: "unknown_caseworker", msg: "there is no enabled caseworker of that name"}
	case errors.Is(err, handoff.ErrInvalid), errors.Is(err, accounts.ErrInvalid), errors.Is(err, conversation.ErrInvalid):
		return &apiError{status: http.StatusBadRequest, code: "invalid", msg: invalidDetail(err)}
	case errors.Is(err, handoff.ErrNoTemplate):
		return &apiError{status: http.StatusConflict, code: "no_template", msg: "this conversation's channel has no approved template configured (twilio.whatsapp.template_sid)"}
	case errors.Is(err, handoff.ErrNotFound):
		return &apiError{status: http.StatusNotFound, code: "not_found", msg: "no such conversation (it may have been deleted)"}
	case errors.Is(err, accounts.ErrUserNotFound):
		return &apiError{status: http.StatusNotFound, code: "no_such_user", msg: "no such user"}
	case errors.Is(err, conversation.ErrConflict):
		return &apiError{status: http.StatusConflict, code: "conflict", msg: "someone changed this conversation at the same moment; try again", retry: time.Second}
	case errors.Is(err, handoff.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		h.log.WarnContext(r.Context(), "console: store unavailable", "path", r.URL.Path, "error", err)
		return &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "the conversation store is unavailable; try again in a moment", retry: 2 * time.Second}
	case errors.Is(err, context.Canceled):
		return &apiError{status: 499, code: "canceled", msg: "the request was canceled"}
	}
	h.log.ErrorContext(r.Context(), "console: request failed", "path", r.URL.Path, "error", err)
	return &apiError{status: http.StatusInternalServerError, code: "internal", msg: "internal error"}
}

// invalidDetail keeps the reason of an ErrInvalid ("empty text", "text has
// 5000 characters, at most 4000") without the operation prefixes.
func invalidDetail(err error) string {
	s := err.Error()
	for _, sep := range []string{handoff.ErrInvalid.Error() + ": ", accounts.ErrInvalid.Error() + ": ", conversation.ErrInvalid.Error() + ": "} {
		if i := strings.LastIndex(s, sep); i >= 0 {
			return s[i+len(sep):]
		}
	}
	return "invalid request"
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"error": e.code, "message": e.msg}
	for k, v := range e.extra {
		body[k] = v
	}
	if e.retry > 0 {
		secs := int(max(time.Second, e.retry).Round(time.Second).Seconds())
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		body["retry_after"] = secs
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// conversationID reads and checks the {id} path value.
func conversationID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return "", errBadID
	}
	return id, nil
}

// validID accepts conversation ids as the channels make them ("w" + 32 hex
// digits …) and similar short ids.
func validID(id string) bool {
	if id == "" || len(id) > 100 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func errorf(status int, code, format string, args ...any) error {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}
