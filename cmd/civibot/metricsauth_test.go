package main

import (
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/civibot/civibot/internal/redistest"
)

var generatedToken = regexp.MustCompile(`GET /metrics needs "Authorization: Bearer ([0-9a-f]{48})" \(generated now and shown once; kept in ([^;]+);`)

// TestMetricsTokenGenerated: with nothing configured, /metrics on the
// public address needs a token serve generates, prints once and keeps;
// the next start uses the same token without printing it.
func TestMetricsTokenGenerated(t *testing.T) {
	cfg := testConfig(t, "")
	in := startInstance(t, cfg)
	m := generatedToken.FindStringSubmatch(in.out.String())
	if m == nil {
		t.Fatalf("no generated token printed:\n%s", in.out.String())
	}
	token := m[1]
	if !strings.Contains(m[2], cfg.Security.DataDir) {
		t.Errorf("kept %q, want the data directory", m[2])
	}
	if code := getCode(t, in.url+"/metrics"); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d", code)
	}
	if got := scrapeMetrics(t, in.url, token); got["go_goroutines"] == 0 {
		t.Errorf("/metrics with the token: %v", got["go_goroutines"])
	}
	if strings.Contains(in.logs.String(), token) {
		t.Error("the token reached the log")
	}
	in.stop()
	again := startInstance(t, cfg)
	if strings.Contains(again.out.String(), "Bearer") {
		t.Errorf("printed again:\n%s", again.out.String())
	}
	scrapeMetrics(t, again.url, token)
}

// TestMetricsTokenShared: with Redis, every instance uses the token the
// first generated; only the first prints it.
func TestMetricsTokenShared(t *testing.T) {
	rs := redistest.Start(t)
	a := startInstance(t, testConfig(t, rs.URL()))
	b := startInstance(t, testConfig(t, rs.URL()))
	m := generatedToken.FindStringSubmatch(a.out.String())
	if m == nil || !strings.Contains(m[2], "civibot:metrics_token") {
		t.Fatalf("instance A printed:\n%s", a.out.String())
	}
	if strings.Contains(b.out.String(), "Bearer") {
		t.Errorf("instance B printed a token too:\n%s", b.out.String())
	}
	scrapeMetrics(t, b.url, m[1])
}

// TestMetricsAddr: metrics.addr serves /metrics there only (open, the
// address is the protection), and not on server.addr.
func TestMetricsAddr(t *testing.T) {
	cfg := testConfig(t, "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Metrics.Addr = l.Addr().String()
	l.Close()
	in := startInstance(t, cfg)
	if code := getCode(t, in.url+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on server.addr with metrics.addr set: %d", code)
	}
	if strings.Contains(in.out.String(), "Bearer") {
		t.Errorf("a token was generated for metrics.addr:\n%s", in.out.String())
	}
	if got := scrapeMetrics(t, "http://"+cfg.Metrics.Addr, ""); got["go_goroutines"] == 0 {
		t.Error("no metrics on metrics.addr")
	}
	in.stop()
	if _, err := http.Get("http://" + cfg.Metrics.Addr + "/metrics"); err == nil {
		t.Error("the metrics listener outlived the server")
	}
}

// TestConfigCheckMetricsReach: config check says who can reach /metrics.
func TestConfigCheckMetricsReach(t *testing.T) {
	for _, tt := range []struct {
		sets []string
		want string
	}{
		{nil, "/metrics on server.addr (127.0.0.1:8080) is reachable only from this machine; it needs a token: serve generates one"},
		{[]string{"server.addr=:8080"}, "/metrics on server.addr (:8080) is reachable from other machines; it needs a token: serve generates one"},
		{[]string{"metrics.addr=0.0.0.0:9090"}, "/metrics on metrics.addr (0.0.0.0:9090) is OPEN (no metrics.token) and reachable from other machines"},
		{[]string{"metrics.addr=127.0.0.1:9090"}, "/metrics on metrics.addr (127.0.0.1:9090) is open (no metrics.token) but reachable only from this machine"},
		{[]string{"metrics.addr=10.0.0.7:9090", "metrics.token=metrics-token-0123456789"}, "/metrics on metrics.addr (10.0.0.7:9090) is reachable from other machines; it needs metrics.token"},
	} {
		args := []string{"config", "check", "--set", "security.data_dir=" + t.TempDir()}
		for _, s := range tt.sets {
			args = append(args, "--set", s)
		}
		code, out, errOut := runCmd(t, map[string]string{}, "", args...)
		if code != 0 || !strings.Contains(out, "# note: "+tt.want) {
			t.Errorf("%v: exit %d, want the note %q:\n%s%s", tt.sets, code, tt.want, out, errOut)
		}
	}
	if code, _, errOut := runCmd(t, map[string]string{}, "", "config", "check", "--set", "metrics.addr=127.0.0.1:8080"); code == 0 || !strings.Contains(errOut, "metrics.addr 127.0.0.1:8080 is server.addr") {
		t.Errorf("metrics.addr = server.addr: exit %d %s", code, errOut)
	}
}
