package repotest

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/civibot/civibot/"

// allowed lists, for each package, the civibot packages it may import
// directly (docs/architecture.md, "Navigating the code"). cmd/* may import
// anything. A package missing here fails the test: add it with its rule.
var allowed = map[string][]string{
	"knowledge":             {},
	"knowledge/samplecity":  {},
	"knowledge/importer":    {"knowledge"},
	"conversation":          {},
	"configs":               {},
	"dialog":                {"conversation", "knowledge", "internal/personal"},
	"channels":              {"conversation"},
	"accounts":              {"conversation", "internal/clientaddr", "internal/filelock"},
	"handoff":               {"conversation", "channels", "accounts"},
	"channels/webchat":      {"conversation", "dialog", "channels", "internal/sockets", "internal/clientaddr"},
	"channels/telegram":     {"conversation", "dialog", "channels", "internal/redislock"},
	"channels/twilio":       {"conversation", "dialog", "channels"},
	"channels/email":        {"conversation", "dialog", "channels", "internal/redislock"},
	"web":                   {"conversation", "dialog", "handoff", "channels", "internal/static"},
	"web/console":           {"conversation", "handoff", "accounts", "aliases", "channels", "analytics", "internal/sockets", "internal/static", "internal/clientaddr"},
	"analytics":             {"conversation", "dialog", "internal/personal"},
	"aliases":               {"conversation", "dialog", "knowledge", "analytics", "internal/filelock"},
	"metrics":               {"conversation", "dialog"},
	"internal/sockets":      {},
	"internal/clientaddr":   {},
	"internal/personal":     {},
	"internal/filelock":     {},
	"internal/static":       {},
	"internal/redistest":    {},
	"internal/redislock":    {},
	"internal/mailtest":     {},
	"internal/testcity":     {"knowledge", "knowledge/importer", "knowledge/samplecity"},
	"internal/browsertest":  {},
	"internal/telegramtest": {},
	"internal/testtime":     {},
	"internal/repotest":     {},
	"internal/evaluation":   {"conversation", "dialog", "knowledge", "internal/logistic"},
	"internal/logistic":     {},
	"config": {"analytics", "channels/email", "channels/telegram", "channels/twilio", "channels/webchat", "conversation", "dialog",
		"handoff", "knowledge", "metrics", "web", "web/console", "configs"},
}

// never lists what a package must not depend on even indirectly (by
// prefix): the dialog engine knows nothing of channels, the web, the
// desk's console or of operations; the storage and knowledge layers know
// nothing of civibot at all.
var never = map[string][]string{
	"dialog":             {"channels", "web", "handoff", "accounts", "metrics", "analytics", "config"},
	"knowledge":          {""},
	"knowledge/importer": {"dialog", "conversation", "channels", "web", "handoff", "accounts", "metrics", "analytics", "config"},
	"conversation":       {""},
	"accounts":           {"dialog", "channels", "web", "handoff", "knowledge", "metrics", "analytics"},
	"handoff":            {"dialog", "web", "knowledge", "metrics", "analytics"},
	"channels":           {"web", "knowledge", "handoff", "accounts", "metrics", "analytics"},
	"analytics":          {"web", "channels", "handoff", "metrics"},
	"aliases":            {"web", "channels", "handoff", "accounts", "metrics", "config"},
	"metrics":            {"web", "channels", "handoff", "analytics", "knowledge/samplecity"},
}

// testHelpers are the internal packages only tests may use.
var testHelpers = map[string]bool{
	"internal/redistest": true, "internal/browsertest": true, "internal/telegramtest": true, "internal/repotest": true,
	"internal/testcity": true, "internal/mailtest": true, "internal/testtime": true,
}

type pkgInfo struct {
	imports, deps []string
}

// civibotPackages lists the module's packages (without cmd/*) with their
// direct civibot imports and all their civibot dependencies (non-test).
func civibotPackages(t *testing.T) map[string]pkgInfo {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports ","}}|{{join .Deps ","}}`, "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkgInfo{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "|")
		name, ok := strings.CutPrefix(parts[0], module)
		if !ok || strings.HasPrefix(name, "cmd/") {
			continue
		}
		own := func(list string) []string {
			var r []string
			for _, p := range strings.Split(list, ",") {
				if q, ok := strings.CutPrefix(p, module); ok {
					r = append(r, q)
				}
			}
			return r
		}
		pkgs[name] = pkgInfo{imports: own(parts[1]), deps: own(parts[2])}
	}
	return pkgs
}

func TestImportRules(t *testing.T) {
	pkgs := civibotPackages(t)
	if len(pkgs) < 15 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for name, p := range pkgs {
		rule, ok := allowed[name]
		if !ok {
			t.Errorf("%s has no import rule: add it to allowed here and to docs/architecture.md", name)
			continue
		}
		for _, imp := range p.imports {
			if !slices.Contains(rule, imp) {
				t.Errorf("%s imports %s, which it may not (allowed: %v)", name, imp, rule)
			}
		}
		for _, dep := range p.deps {
			if testHelpers[dep] && !strings.HasPrefix(name, "internal/") {
				t.Errorf("%s depends on the test helper %s", name, dep)
			}
		}
	}
	for name, bans := range never {
		p, ok := pkgs[name]
		if !ok {
			t.Errorf("rule for %s, which does not exist", name)
			continue
		}
		for _, dep := range p.deps {
			for _, ban := range bans {
				if ban == "" || dep == ban || strings.HasPrefix(dep, ban+"/") {
					t.Errorf("%s depends on %s (even indirectly it must not)", name, dep)
				}
			}
		}
	}
}

// TestOnlyMetricsImportsPrometheus: instrumentation stays at the boundary.
func TestOnlyMetricsImportsPrometheus(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports ","}}`, "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, imports, _ := strings.Cut(line, "|")
		if strings.Contains(imports, "github.com/prometheus/") && name != module+"metrics" {
			t.Errorf("%s imports Prometheus: only the metrics package may", name)
		}
	}
}

// TestArchitectureDocNamesEveryPackage: the package table in
// docs/architecture.md names every package.
func TestArchitectureDocNamesEveryPackage(t *testing.T) {
	raw, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, row := range regexp.MustCompile("(?m)^\\| (`[^|]+)\\|").FindAllStringSubmatch(string(raw), -1) {
		for _, n := range regexp.MustCompile("`([a-z0-9/*]+)`").FindAllStringSubmatch(row[1], -1) {
			named[n[1]] = true
		}
	}
	for name := range civibotPackages(t) {
		if !named[name] && !named[strings.SplitN(name, "/", 2)[0]+"/*"] {
			t.Errorf("docs/architecture.md does not name %s in its package table", name)
		}
	}
}

// TestConfigurationDocNamesEveryOption: docs/configuration.md has a row
// for every option of the config model.
func TestConfigurationDocNamesEveryOption(t *testing.T) {
	raw, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for name := range envNames() {
		if strings.HasSuffix(name, "_FILE") || name == "CIVIBOT_CONFIG" {
			continue
		}
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/configuration.md does not document %s", name)
		}
	}
}
