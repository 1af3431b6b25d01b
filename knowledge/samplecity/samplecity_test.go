package samplecity

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// frontMatter is the header every sample page carries.
type frontMatter struct {
	ID       string   `yaml:"id"`
	Title    string   `yaml:"title"`
	URL      string   `yaml:"url"`
	Language string   `yaml:"language"`
	Service  string   `yaml:"service"`
	Category string   `yaml:"category"`
	Keywords []string `yaml:"keywords"`
}

type samplePage struct {
	path string
	fm   frontMatter
	body string
}

// headings are the section headings the importer maps to section kinds.
var headings = map[string]map[string]bool{
	"de": {"Voraussetzungen": true, "Benötigte Unterlagen": true, "Gebühren": true, "Fristen": true, "Ablauf": true, "Kontakt und Öffnungszeiten": true},
	"en": {"Requirements": true, "Documents you need": true, "Fees": true, "Deadlines": true, "How it works": true, "Contact and opening hours": true},
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func splitFrontMatter(data []byte) (frontMatter, string, error) {
	var fm frontMatter
	const delim = "---\n"
	if !bytes.HasPrefix(data, []byte(delim)) {
		return fm, "", fmt.Errorf("no front matter: file must start with %q", delim)
	}
	rest := data[len(delim):]
	end := bytes.Index(rest, []byte("\n"+delim))
	if end < 0 {
		return fm, "", fmt.Errorf("front matter not closed")
	}
	dec := yaml.NewDecoder(bytes.NewReader(rest[:end+1]))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil {
		return fm, "", fmt.Errorf("front matter: %w", err)
	}
	return fm, string(rest[end+1+len(delim):]), nil
}

func loadPages(t *testing.T) []samplePage {
	t.Helper()
	var out []samplePage
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(FS(), p)
		if err != nil {
			return err
		}
		fm, body, err := splitFrontMatter(data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		out = append(out, samplePage{path: p, fm: fm, body: body})
		return nil
	})
	if err != nil {
		t.Fatalf("walk pages: %v", err)
	}
	return out
}

func TestName(t *testing.T) {
	if Name != "Musterstadt" {
		t.Fatalf("Name = %q, want Musterstadt", Name)
	}
}

func TestFSLayout(t *testing.T) {
	for _, lang := range []string{"de", "en"} {
		entries, err := fs.ReadDir(FS(), lang)
		if err != nil {
			t.Fatalf("ReadDir(%s): %v", lang, err)
		}
		if len(entries) == 0 {
			t.Fatalf("%s: no pages", lang)
		}
		for _, e := range entries {
			if e.IsDir() || path.Ext(e.Name()) != ".md" {
				t.Errorf("%s/%s: want only .md files", lang, e.Name())
			}
		}
	}
	if _, err := fs.Stat(FS(), "pages"); err == nil {
		t.Errorf("FS must be rooted at pages, but pages/ is visible inside it")
	}
}

func TestFrontMatter(t *testing.T) {
	pages := loadPages(t)
	ids := map[string]string{}
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			fm := p.fm
			dir, file := path.Split(p.path)
			lang := strings.TrimSuffix(dir, "/")
			slug := strings.TrimSuffix(file, ".md")
			if fm.Language != lang {
				t.Errorf("language = %q, want %q (its folder)", fm.Language, lang)
			}
			if !slugRE.MatchString(slug) {
				t.Errorf("file name %q is not a slug", slug)
			}
			if fm.Service != slug {
				t.Errorf("service = %q, want the file name %q", fm.Service, slug)
			}
			if want := slug + "-" + lang; fm.ID != want {
				t.Errorf("id = %q, want %q", fm.ID, want)
			}
			if strings.TrimSpace(fm.Title) == "" {
				t.Error("title is empty")
			}
			wantURL := "https://www.musterstadt.example/service/" + slug
			if lang == "en" {
				wantURL = "https://www.musterstadt.example/en/service/" + slug
			}
			if fm.URL != wantURL {
				t.Errorf("url = %q, want %q", fm.URL, wantURL)
			}
			if strings.TrimSpace(fm.Category) == "" {
				t.Error("category is empty")
			}
			if len(fm.Keywords) < 3 {
				t.Errorf("keywords = %v, want at least 3", fm.Keywords)
			}
			if other, dup := ids[fm.ID]; dup {
				t.Errorf("id %q also used by %s", fm.ID, other)
			}
			ids[fm.ID] = p.path
		})
	}
}

// anchorRe is the rest of a heading's anchor after " {#": a lower-case id.
var anchorRe = regexp.MustCompile(`^[a-z][a-z0-9-]*\}$`)

func TestBody(t *testing.T) {
	for _, p := range loadPages(t) {
		t.Run(p.path, func(t *testing.T) {
			lang := p.fm.Language
			lines := strings.Split(strings.TrimSpace(p.body), "\n")
			if len(lines) == 0 || strings.HasPrefix(lines[0], "#") {
				t.Fatalf("page must start with a description, not a heading")
			}
			seen := map[string]bool{}
			for _, l := range lines {
				if strings.HasPrefix(l, "#") {
					h, ok := strings.CutPrefix(l, "## ")
					if !ok {
						t.Errorf("heading %q: use level-2 headings (## ) only", l)
						continue
					}
					// Every section has its anchor, so answers link to it.
					h, anchor, ok := strings.Cut(h, " {#")
					if !ok || !anchorRe.MatchString(anchor) {
						t.Errorf("heading %q: give it an anchor, \"## %s {#name}\"", l, h)
					} else if seen["#"+anchor] {
						t.Errorf("anchor %q appears twice", anchor)
					}
					seen["#"+anchor] = true
					if !headings[lang][h] {
						t.Errorf("heading %q is not one of the %s section headings", h, lang)
					}
					if seen[h] {
						t.Errorf("heading %q appears twice", h)
					}
					seen[h] = true
				}
			}
			contact := map[string]string{"de": "Kontakt und Öffnungszeiten", "en": "Contact and opening hours"}[lang]
			if !seen[contact] {
				t.Errorf("missing section %q", contact)
			}
			words := 0
			for _, f := range strings.Fields(p.body) {
				if !strings.HasPrefix(f, "{#") { // a heading's anchor is no word of the text
					words++
				}
			}
			if words < 150 || words > 400 {
				t.Errorf("body has %d words, want 150–400", words)
			}
		})
	}
}

func TestTranslations(t *testing.T) {
	byLang := map[string]map[string]frontMatter{"de": {}, "en": {}}
	for _, p := range loadPages(t) {
		if m, ok := byLang[p.fm.Language]; ok {
			m[p.fm.Service] = p.fm
		} else {
			t.Errorf("%s: unexpected language %q", p.path, p.fm.Language)
		}
	}
	for svc, de := range byLang["de"] {
		en, ok := byLang["en"][svc]
		if !ok {
			t.Errorf("service %q has a German page but no English page", svc)
			continue
		}
		if de.Category == "" || en.Category == "" {
			t.Errorf("service %q: category missing", svc)
		}
	}
	for svc := range byLang["en"] {
		if _, ok := byLang["de"][svc]; !ok {
			t.Errorf("service %q has an English page but no German page", svc)
		}
	}
	if n := len(byLang["de"]); n < 45 {
		t.Errorf("%d services, want at least 45", n)
	}
}
