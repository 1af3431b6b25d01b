package repotest

import (
	"bufio"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/civibot/civibot/config"
)

// envNames are the CIVIBOT_* variables config.Load reads (and their _FILE
// forms), from the config model itself.
func envNames() map[string]bool {
	names := map[string]bool{"CIVIBOT_CONFIG": true}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			name := prefix + "_" + strings.ToUpper(tag)
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
				walk(f.Type, name)
				continue
			}
			names[name], names[name+"_FILE"] = true, true
		}
	}
	walk(reflect.TypeOf(config.Config{}), "CIVIBOT")
	return names
}

// compose is the part of docker-compose.yml the test reads.
type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Secrets     []string          `yaml:"secrets"`
		Ports       []string          `yaml:"ports"`
		Profiles    []string          `yaml:"profiles"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test     []string `yaml:"test"`
			Interval string   `yaml:"interval"`
		} `yaml:"healthcheck"`
		Restart string `yaml:"restart"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

// TestComposeFile checks docker-compose.yml as far as YAML can tell: the
// services, Redis with AOF persistence, volumes for Redis, the knowledge
// base and the data, health checks, secrets from files, and environment
// variables that civibot knows. With the docker compose plugin installed,
// `docker compose config` checks it as well.
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	var c compose
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	redis, ok := c.Services["redis"]
	if !ok {
		t.Fatal("no redis service")
	}
	if !strings.Contains(strings.Join(redis.Command, " "), "--appendonly yes") || !strings.Contains(strings.Join(redis.Command, " "), "--maxmemory-policy noeviction") {
		t.Errorf("redis without AOF persistence or with eviction: %q", redis.Command)
	}
	if !slices.Contains(redis.Volumes, "redis-data:/data") || len(redis.Ports) != 0 {
		t.Errorf("redis volumes %q, ports %q (its data in a volume, not published)", redis.Volumes, redis.Ports)
	}
	bot, ok := c.Services["civibot"]
	if !ok {
		t.Fatal("no civibot service")
	}
	if bot.Build == nil || bot.Image == "" || strings.Join(bot.Command, " ") != "serve" {
		t.Errorf("civibot: build %v, image %q, command %q", bot.Build, bot.Image, bot.Command)
	}
	if bot.DependsOn["redis"].Condition != "service_healthy" {
		t.Errorf("civibot does not wait for a healthy Redis: %+v", bot.DependsOn)
	}
	kbMount := ""
	for _, v := range bot.Volumes {
		if strings.HasPrefix(v, "kb:") {
			kbMount = strings.Split(v, ":")[1]
		}
	}
	if kbMount == "" || bot.Environment["CIVIBOT_KNOWLEDGE_DIR"] != kbMount || !slices.ContainsFunc(bot.Volumes, func(v string) bool { return strings.HasPrefix(v, "data:") }) {
		t.Errorf("civibot volumes %q, knowledge.dir %q", bot.Volumes, bot.Environment["CIVIBOT_KNOWLEDGE_DIR"])
	}
	if !strings.HasPrefix(bot.Environment["CIVIBOT_REDIS_URL"], "redis://redis:6379/") {
		t.Errorf("redis.url = %q", bot.Environment["CIVIBOT_REDIS_URL"])
	}
	for _, name := range []string{"redis", "civibot"} {
		hc := c.Services[name].Healthcheck
		if hc == nil || len(hc.Test) < 2 || hc.Test[0] != "CMD" || hc.Interval == "" {
			t.Errorf("%s has no health check: %+v", name, hc)
		}
		if c.Services[name].Restart != "unless-stopped" {
			t.Errorf("%s restart = %q", name, c.Services[name].Restart)
		}
	}
	if hc := bot.Healthcheck; hc != nil && strings.Join(hc.Test, " ") != "CMD /usr/local/bin/civibot healthcheck" {
		t.Errorf("civibot health check %q", hc.Test)
	}
	ingest, ok := c.Services["ingest"]
	if !ok || !slices.Contains(ingest.Profiles, "ingest") || ingest.Command[0] != "ingest" || !slices.Contains(ingest.Command, kbMount) {
		t.Errorf("ingest service = %+v", ingest)
	}
	if cfg := bot.Environment["CIVIBOT_CONFIG"]; cfg == "" || ingest.Environment["CIVIBOT_CONFIG"] != cfg {
		t.Errorf("ingest reads config %q, civibot %q: ingest must embed as the server does", ingest.Environment["CIVIBOT_CONFIG"], cfg)
	}
	for _, v := range []string{"redis-data", "kb", "data"} {
		if _, ok := c.Volumes[v]; !ok {
			t.Errorf("volume %s is not declared", v)
		}
	}
	// Environment: only options civibot has; secrets only from files in
	// /run/secrets that the service is given.
	known := envNames()
	for name, svc := range c.Services {
		for k, v := range svc.Environment {
			if strings.HasPrefix(k, "CIVIBOT_") && !known[k] {
				t.Errorf("%s: %s is no civibot option", name, k)
			}
			if strings.HasSuffix(k, "_FILE") {
				secret, ok := strings.CutPrefix(v, "/run/secrets/")
				if !ok || !slices.Contains(svc.Secrets, secret) {
					t.Errorf("%s: %s=%s is not a secret the service is given", name, k, v)
				}
			}
			if lk := strings.ToLower(k); strings.Contains(lk, "token") || strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.HasSuffix(lk, "_key") {
				if !strings.HasSuffix(k, "_FILE") {
					t.Errorf("%s: the secret %s is given in clear; use %s_FILE", name, k, k)
				}
			}
		}
		for _, s := range svc.Secrets {
			if c.Secrets[s].File == "" {
				t.Errorf("%s: secret %s is not declared with a file", name, s)
			}
		}
	}
	if len(bot.Secrets) == 0 {
		t.Error("civibot gets no secret from a file")
	}

	if _, err := exec.LookPath("docker"); err == nil {
		cmd := exec.Command("docker", "compose", "version")
		if cmd.Run() == nil {
			check := exec.Command("docker", "compose", "-f", "docker-compose.yml", "config", "--quiet", "--no-interpolate")
			check.Dir = "../.."
			if out, err := check.CombinedOutput(); err != nil {
				t.Errorf("docker compose config: %v\n%s", err, out)
			}
		} else {
			t.Log("docker compose plugin not installed: checked as YAML only")
		}
	}
}

// instruction is one Dockerfile instruction (continuation lines joined).
type instruction struct {
	cmd, args string
	line      int
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasPrefix(line, "#") {
			continue // a comment inside a continued instruction
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("%s: the last instruction ends with a line continuation", path)
	}
	return out
}

var knownInstructions = map[string]bool{"FROM": true, "RUN": true, "CMD": true, "LABEL": true, "EXPOSE": true, "ENV": true, "ADD": true,
	"COPY": true, "ENTRYPOINT": true, "VOLUME": true, "USER": true, "WORKDIR": true, "ARG": true, "ONBUILD": true,
	"STOPSIGNAL": true, "HEALTHCHECK": true, "SHELL": true}

// TestDockerfile checks the multi-stage build: a Go stage building a
// static binary (CGO off), a distroless or scratch runtime stage that
// copies only from it, runs as a non-root user, and has a health check.
func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, "../../Dockerfile")
	type stage struct {
		name, base string
		ins        []instruction
	}
	var stages []*stage
	args := map[string]string{}
	for _, in := range ins {
		if !knownInstructions[in.cmd] {
			t.Errorf("line %d: unknown instruction %s", in.line, in.cmd)
		}
		if in.cmd == "ARG" && len(stages) == 0 {
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		}
		if in.cmd == "FROM" {
			m := regexp.MustCompile(`^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$`).FindStringSubmatch(in.args)
			if m == nil || m[2] == "" {
				t.Fatalf("line %d: FROM %q names no stage (FROM image AS name)", in.line, in.args)
			}
			stages = append(stages, &stage{name: m[2], base: m[1]})
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Errorf("line %d: %s before the first FROM", in.line, in.cmd)
			}
			continue
		}
		st := stages[len(stages)-1]
		st.ins = append(st.ins, in)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	build, runtime := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.base, "golang:") {
		t.Errorf("build stage from %q, want golang:", build.base)
	}
	// The Go version of the build image matches go.mod.
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(mod))
	if goVer == nil || args["GO_VERSION"] != goVer[1] {
		t.Errorf("ARG GO_VERSION=%q, go.mod says %v", args["GO_VERSION"], goVer)
	}
	text := func(st *stage, cmd string) string {
		var b []string
		for _, in := range st.ins {
			if in.cmd == cmd {
				b = append(b, in.args)
			}
		}
		return strings.Join(b, "\n")
	}
	if !strings.Contains(text(build, "ENV")+text(build, "RUN"), "CGO_ENABLED=0") || !strings.Contains(text(build, "RUN"), "go build") ||
		!strings.Contains(text(build, "RUN"), "./cmd/civibot") {
		t.Errorf("the build stage does not build ./cmd/civibot statically (CGO_ENABLED=0)")
	}
	if !strings.HasPrefix(runtime.base, "gcr.io/distroless/static") && runtime.base != "scratch" {
		t.Errorf("runtime stage from %q, want distroless/static or scratch", runtime.base)
	}
	users := text(runtime, "USER")
	if users == "" {
		t.Error("the runtime stage sets no USER: it would run as root")
	}
	for _, u := range strings.Split(users, "\n") {
		if name := strings.Split(u, ":")[0]; name == "root" || name == "0" || name == "" {
			t.Errorf("USER %q is root", u)
		}
	}
	for _, cp := range strings.Split(text(runtime, "COPY"), "\n") {
		m := regexp.MustCompile(`--from=(\S+)`).FindStringSubmatch(cp)
		if m == nil || m[1] != build.name {
			t.Errorf("runtime COPY %q does not copy from the build stage %q", cp, build.name)
		}
	}
	for want, cmd := range map[string]string{
		`["/usr/local/bin/civibot"]`: "ENTRYPOINT",
		`["serve"]`:                  "CMD",
		"8080":                       "EXPOSE",
		`CMD ["/usr/local/bin/civibot", "healthcheck"]`: "HEALTHCHECK",
	} {
		if !strings.Contains(text(runtime, cmd), want) {
			t.Errorf("runtime %s = %q, want %s", cmd, text(runtime, cmd), want)
		}
	}
	if !strings.Contains(text(runtime, "COPY"), "/usr/local/bin/civibot") {
		t.Error("the binary is not copied to /usr/local/bin/civibot")
	}
	known := envNames()
	for _, m := range regexp.MustCompile(`(CIVIBOT_[A-Z_]+)=`).FindAllStringSubmatch(text(runtime, "ENV"), -1) {
		if !known[m[1]] {
			t.Errorf("ENV %s is no civibot option", m[1])
		}
	}
	// The build context leaves out what must not go into an image.
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{".git", "data", "secrets", "*.test", "civibot.yaml"} {
		if !slices.Contains(strings.Split(string(ignore), "\n"), must) {
			t.Errorf(".dockerignore lacks %s", must)
		}
	}
}
