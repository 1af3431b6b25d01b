package conversation

import (
	"strings"

	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// Conversation id prefixes by channel family.
const (
	idWeb      = "w"
	idTelegram = "t"
	idPhone    = "p"
	idMail     = "m"
	idWhatsApp = "a"
)

// NewToken returns an unguessable web chat conversation token (256 bits,
// URL-safe). The browser keeps it; it is the only key to the conversation.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("conversation: new token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// WebID derives a web chat conversation id from its token. The token itself
// is never stored.
func WebID(token string) string {
	sum := sha256.Sum256([]byte("civibot-web:" + token))
	return idWeb + hex.EncodeToString(sum[:16])
}

// TelegramID derives a Telegram conversation id from a chat id, keyed with
// the installation's secret so ids cannot be reversed into chat ids.
func TelegramID(key []byte, chatID int64) string {
	return idTelegram + keyed(key, fmt.Sprintf("telegram:%d", chatID))
}

// PhoneID derives the conversation id of a caller (SMS and voice share it)
// from an E.164 number, keyed with the installation's secret.
func PhoneID(key []byte, e164 string) string {
	return idPhone + keyed(key, "phone:"+e164)
}

// MailID derives an e-mail conversation id from the sender's address and
// the thread's first message id, keyed with the installation's secret: one
// conversation per sender and thread.
func MailID(key []byte, address, threadRoot string) string {
	return idMail + keyed(key, "mail:"+strings.ToLower(address)+"\x00"+threadRoot)
}

// WhatsAppID derives a WhatsApp conversation id from the E.164 number (its
// own conversation, apart from SMS and calls from the same number).
func WhatsAppID(key []byte, e164 string) string {
	return idWhatsApp + keyed(key, "whatsapp:"+e164)
}

func keyed(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// NormalizeQuestion folds a citizen's question for comparing it with an
// earlier one: lower case, outer punctuation and extra spaces removed. The
// dialog service and the handoff desk both use it for
// Context.HandedOffFor.
func NormalizeQuestion(q string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.Trim(q, " ?!.\t\n"))), " ")
}
