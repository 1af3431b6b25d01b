package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/civibot/civibot/configs"
)

const examplePath = "../configs/civibot.example.yaml"

// optionPaths lists every option of t as YAML paths ("server.addr"),
// sections included ("server").
func optionPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		p := prefix + tag
		out = append(out, p)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
			out = append(out, optionPaths(f.Type, p+".")...)
		}
	}
	return out
}

// documented walks the example's mapping nodes: every key's path, and
// whether it carries a comment.
func documented(n *yaml.Node, prefix string, paths map[string]bool) {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			documented(c, prefix, paths)
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := prefix + k.Value
		paths[p] = strings.TrimSpace(k.HeadComment+k.LineComment+v.LineComment) != ""
		documented(v, p+".", paths)
	}
}

// TestExampleDocumentsEveryOption: configs/civibot.example.yaml names every
// option of Config with a comment, so the example cannot drift from the
// code.
func TestExampleDocumentsEveryOption(t *testing.T) {
	raw, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	documented(&doc, "", paths)
	for _, p := range optionPaths(reflect.TypeOf(Config{}), "") {
		hasComment, ok := paths[p]
		switch {
		case !ok:
			t.Errorf("%s is missing from %s: add it with its default and a comment", p, examplePath)
		case !hasComment:
			t.Errorf("%s has no comment in %s", p, examplePath)
		}
	}
	if configs.Example() != string(raw) {
		t.Error("configs.Example() is not the file")
	}
}

// TestExampleIsTheDefaults: loading the example gives exactly the
// defaults, so every value it shows is the true default.
func TestExampleIsTheDefaults(t *testing.T) {
	fromFile, err := Load(examplePath, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := fromFile.Validate(); err != nil {
		t.Fatalf("the example does not validate: %v", err)
	}
	defaults, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := fromFile.Masked()
	if err != nil {
		t.Fatal(err)
	}
	b, err := defaults.Masked()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Fatalf("the example differs from the defaults at line %d of the effective config:\nexample:  %s\ndefaults: %s", i+1, al[i], bl[i])
			}
		}
		t.Fatalf("the example differs from the defaults:\n%s\n---\n%s", a, b)
	}
	// And the effective config names every section.
	for _, s := range []string{"conversations:", "analytics:", "metrics:", "telegram:", "twilio:"} {
		if !slices.Contains(strings.Split(a, "\n"), s) {
			t.Errorf("effective config lacks %s", s)
		}
	}
}
