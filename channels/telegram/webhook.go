package telegram

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// SecretHeader carries the webhook's secret token (setWebhook secret_token)
// on every update Telegram posts.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// flight is an update being handled by this instance; a second delivery
// of the same update waits for it and answers as it does.
type flight struct {
	done chan struct{}
	res  result
	err  error
}

// ServeHTTP receives one update by webhook. Answers: 200 once the update is
// handled (or was already); 401 for a missing or wrong secret token
// (nothing is read or stored); 413 for a body over MaxUpdateBytes; 400 for
// a body that is not an update; 503 while the bot is not connected yet,
// when handling failed for now, or while another instance holds the
// update — Telegram then delivers the update again.
func (c *Channel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		webhookError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Telegram posts updates")
		return
	}
	if !c.secretOK(r.Header.Get(SecretHeader)) {
		c.log.InfoContext(r.Context(), "telegram webhook refused: missing or wrong secret token")
		webhookError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong "+SecretHeader)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.cfg.MaxUpdateBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			webhookError(w, http.StatusRequestEntityTooLarge, "too_large", "update larger than telegram.max_update_bytes")
			return
		}
		webhookError(w, http.StatusBadRequest, "bad_body", "could not read the update")
		return
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(raw, &u); err != nil || u.UpdateID <= 0 {
		c.log.InfoContext(r.Context(), "telegram webhook: not an update", "bytes", len(raw))
		webhookError(w, http.StatusBadRequest, "bad_update", "the body is not a Telegram update")
		return
	}
	if c.api.Load() == nil {
		w.Header().Set("Retry-After", "5")
		webhookError(w, http.StatusServiceUnavailable, "not_connected", "not connected to the Bot API yet")
		return
	}
	res, _ := c.once(r, u)
	switch res {
	case retry:
		w.Header().Set("Retry-After", "5")
		webhookError(w, http.StatusServiceUnavailable, "retry", "the update could not be handled now; deliver it again")
		return
	case busy:
		// Another instance holds the update (it was delivered there
		// first, and that delivery failed or timed out): acknowledging it
		// here would lose it if that instance dies before finishing.
		w.Header().Set("Retry-After", "5")
		webhookError(w, http.StatusServiceUnavailable, "in_progress", "another instance is handling the update; deliver it again")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "{}\n")
}

// secretOK compares the header with the secret in constant time (of
// SHA-256 digests, so not even the length shows).
func (c *Channel) secretOK(got string) bool {
	if got == "" || c.cfg.WebhookSecret == "" {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], c.secretSum[:]) == 1
}

// once processes u, or, if this instance is processing it already (a
// concurrent redelivery), waits for that and shares its result.
func (c *Channel) once(r *http.Request, u tgbotapi.Update) (result, error) {
	c.mu.Lock()
	if f, ok := c.flights[u.UpdateID]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.res, f.err
		case <-r.Context().Done():
			return retry, r.Context().Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[u.UpdateID] = f
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.flights, u.UpdateID)
		c.mu.Unlock()
		close(f.done)
	}()
	f.res, f.err = c.process(r.Context(), u)
	return f.res, f.err
}

func webhookError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{code, msg})
}
