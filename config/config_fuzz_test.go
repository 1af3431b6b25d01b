package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/civibot/civibot/configs"
)

// yamlSeeds: the example file, snippets of docs/configuration.md, and
// broken or hostile YAML.
var yamlSeeds = []string{
	configs.Example(),
	"city:\n  name: Beispielstadt\nserver:\n  addr: \":9000\"\n  read_timeout: 5s\n  allowed_origins: [https://www.beispielstadt.example]\n",
	"redis:\n  addrs: [10.0.0.1:26379, 10.0.0.2:26379]\n  master_name: civibot\n",
	"handoff:\n  office_hours:\n    week: {mon-thu: \"08:00-12:00 13:00-16:00\", fri: \"08:00-13:00\"}\n    holidays: [\"12-24\", \"2026-04-03\"]\n",
	"dialog:\n  where: {city: musterstadt}\n  calibration: {bias: -1.5, coverage: 3}\n",
	"telegram:\n  enabled: true\n  token: \"7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\"\n  mode: webhook\n",
	"metrics:\n  token: metrics-token-0123456789\n",
	"", "---\n", "~", "[]", "city: [", "city:\n  name: 5\n", "server:\n  read_timeout: forever\n",
	"unknown_section: {}\n", "server:\n  addr: !!binary aGVsbG8=\n", "dialog:\n  answer_threshold: .nan\n",
	"conversations:\n  retention: -1h\n", "webchat:\n  max_frame_bytes: 99999999999999999999\n",
	"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
	"city: &x {name: *x}\n", "city:\n  name: a\ncity:\n  name: b\n", "\xff\xfe", "city:\n\tname: tab\n",
}

// FuzzLoad reads any file as the config. Load never panics and ends
// quickly (alias bombs included); what it accepts survives a round trip
// (marshal → load gives the same configuration); Validate never panics;
// the masked form hides every secret that was set.
func FuzzLoad(f *testing.F) {
	for _, s := range yamlSeeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(dir, "civibot.yaml")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		cfg, err := Load(path, func(string) string { return "" })
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Load took %v", d)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("error without the package prefix: %v", err)
			}
			return
		}
		_ = cfg.Validate()
		checkRoundTrip(t, dir, cfg)
		checkMasked(t, cfg)
	})
}

// FuzzSet applies any --set assignment: no panic; an accepted one
// survives the round trip through YAML.
func FuzzSet(f *testing.F) {
	for _, s := range []string{"redis.url=redis://localhost:6379/0", "server.addr=:8080", "webchat.message_burst=5",
		"server.read_timeout=5s", "dialog.answer_threshold=0.7", "server.allowed_origins=https://a.example, https://b.example",
		"dialog.where=city=musterstadt,lang=de", "telegram.enabled=true", "handoff.office_hours.week=mon=08:00-12:00",
		"x=1", "server=1", "server.addr", "=", ".=x", "server..addr=1", "webchat.max_frame_bytes=1e9", "metrics.enabled=maybe",
		"conversations.retention=-5m", "city.name=\xff", "knowledge.lexicon=,,,", "dialog.calibration.bias=NaN"} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, assignment string) {
		cfg := Default()
		if err := cfg.Set(assignment); err != nil {
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Errorf("error without the package prefix: %v", err)
			}
			return
		}
		_ = cfg.Validate()
		checkRoundTrip(t, dir, cfg)
		checkMasked(t, cfg)
	})
}

// checkRoundTrip writes cfg as YAML and loads it again.
func checkRoundTrip(t *testing.T, dir string, cfg Config) {
	t.Helper()
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	path := filepath.Join(dir, "roundtrip.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatalf("the config written back does not load: %v\n%s", err, out)
	}
	cfg.Dialog.CityName = cfg.City.Name // Load derives it
	if !reflect.DeepEqual(normalize(cfg), normalize(again)) {
		t.Fatalf("round trip changed the config:\n%s\nreads back as\n%s", out, mustYAML(again))
	}
}

// normalize makes what YAML cannot tell apart equal: an empty list or map
// and none.
func normalize(c Config) string { return string(mustYAML(c)) }

func mustYAML(c Config) []byte {
	b, err := yaml.Marshal(c)
	if err != nil {
		panic(err)
	}
	return b
}

// checkMasked: no secret set (of 8 characters or more) shows in Masked.
func checkMasked(t *testing.T, cfg Config) {
	t.Helper()
	masked, err := cfg.Masked()
	if err != nil {
		t.Fatalf("masked: %v", err)
	}
	for name, v := range secrets(reflect.ValueOf(cfg), "") {
		if len(strings.TrimSpace(v)) >= 8 && strings.Contains(masked, v) {
			t.Errorf("secret %s shows in the masked config", name)
		}
	}
}

// secrets collects the values of options whose names mark them secret.
func secrets(v reflect.Value, path string) map[string]string {
	out := map[string]string{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.Struct:
			for k, s := range secrets(fv, path+tag+".") {
				out[k] = s
			}
		case fv.Kind() == reflect.String && isSecret(tag):
			out[path+tag] = fv.String()
		}
	}
	return out
}
