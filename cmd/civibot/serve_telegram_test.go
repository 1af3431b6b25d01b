package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civibot/civibot/internal/telegramtest"
)

const tgSecret = "serve-test-secret_0123456789"

func telegramEnv(t *testing.T, fake *telegramtest.Server, mode string) map[string]string {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "telegram-token")
	if err := os.WriteFile(tokenFile, []byte(telegramtest.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"CIVIBOT_LOG_LEVEL":               "error",
		"CIVIBOT_TELEGRAM_ENABLED":        "true",
		"CIVIBOT_TELEGRAM_TOKEN_FILE":     tokenFile,
		"CIVIBOT_TELEGRAM_MODE":           mode,
		"CIVIBOT_TELEGRAM_WEBHOOK_SECRET": tgSecret,
		"CIVIBOT_TELEGRAM_API_ENDPOINT":   fake.URL,
		"CIVIBOT_TELEGRAM_POLL_TIMEOUT":   "1s",
	}
}

func tgUpdate(id int, text string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":4242,"is_bot":false,"first_name":"Erika","language_code":"de"},"chat":{"id":4242,"first_name":"Erika","type":"private"},"date":1735725600,"text":%q}}`, id, id, text)
}

func TestServeTelegramWebhook(t *testing.T) {
	fake := telegramtest.New(t)
	url, stop := startServe(t, telegramEnv(t, fake, "webhook"), "--addr", "127.0.0.1:0",
		"--set", "security.data_dir="+t.TempDir(), "--set", "server.public_url=https://chat.musterstadt.example")
	fake.WaitFor("setWebhook", 10*time.Second, func() bool { return fake.Webhook().Sets == 1 })
	if wh := fake.Webhook(); wh.URL != "https://chat.musterstadt.example/telegram/webhook" || wh.SecretToken != tgSecret {
		t.Fatalf("webhook %+v", wh)
	}
	post := func(secret, body string) int {
		req, _ := http.NewRequest(http.MethodPost, url+"/telegram/webhook", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	if code := post("", tgUpdate(1, "Was kostet ein Personalausweis?")); code != http.StatusUnauthorized {
		t.Errorf("without the secret: %d", code)
	}
	if code := post(tgSecret, tgUpdate(1, "Was kostet ein Personalausweis?")); code != http.StatusOK {
		t.Fatalf("with the secret: %d", code)
	}
	if sent := fake.Sent(); len(sent) != 1 || sent[0].ChatID != 4242 || !strings.Contains(sent[0].Plain, "37,00 Euro") {
		t.Fatalf("answer %+v", sent)
	}
	if code, _ := getStatus(t, url+"/telegram/webhook"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET on the webhook: %d", code)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestServeTelegramPolling(t *testing.T) {
	fake := telegramtest.New(t)
	_, stop := startServe(t, telegramEnv(t, fake, "polling"), "--addr", "127.0.0.1:0", "--set", "security.data_dir="+t.TempDir())
	fake.AddUpdate(tgUpdate(10, "Wie melde ich meine Wohnung an?"))
	fake.WaitSent(1, 15*time.Second)
	fake.WaitFor("the update to be confirmed", 10*time.Second, func() bool { return len(fake.Pending()) == 0 })
	if code := stop(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestServeTelegramRefusedToken(t *testing.T) {
	fake := telegramtest.New(t)
	fake.Token = "7000000001:a-different-token-000000000000"
	env := telegramEnv(t, fake, "polling")
	code, _, errOut := runCmd(t, env, "", "serve", "--addr", "127.0.0.1:0", "--set", "security.data_dir="+t.TempDir())
	if code != 1 || !strings.Contains(errOut, "telegram.token was refused") || strings.Contains(errOut, telegramtest.Token) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
