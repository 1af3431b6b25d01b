package knowledge

import (
	"net/url"
	"strings"
)

// SectionKind names the part of a service page a section holds. Answer
// composition picks sections by kind ("what does it cost" → fees).
type SectionKind string

const (
	SectionDescription   SectionKind = "description"
	SectionPrerequisites SectionKind = "prerequisites"
	SectionDocuments     SectionKind = "documents"
	SectionFees          SectionKind = "fees"
	SectionDeadlines     SectionKind = "deadlines"
	SectionProcedure     SectionKind = "procedure"
	SectionContact       SectionKind = "contact" // contacts and opening hours
	SectionOther         SectionKind = "other"
)

// Section is one named part of a page.
type Section struct {
	Kind    SectionKind `json:"kind"`
	Heading string      `json:"heading,omitempty"` // heading as written on the page
	Text    string      `json:"text"`
	// Anchor is the fragment id of the section on the published page
	// (an HTML heading's id, a Markdown "{#id}"), "" when it has none.
	Anchor string `json:"anchor,omitempty"`
}

// Page is one service page of a city.
type Page struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	URL      string            `json:"url,omitempty"`
	Language string            `json:"language"` // "de", "en", …
	Sections []Section         `json:"sections"`
	Keywords []string          `json:"keywords,omitempty"` // synonyms and colloquial names
	Meta     map[string]string `json:"meta,omitempty"`     // free metadata, e.g. city, category, translation id
}

// Section returns the first section of the given kind and whether there is one.
func (p *Page) Section(kind SectionKind) (Section, bool) {
	for _, s := range p.Sections {
		if s.Kind == kind {
			return s, true
		}
	}
	return Section{}, false
}

// SectionURL is the address of section i on the published page: the page's
// URL with the section's anchor as its fragment, or the page's URL when
// the section has no anchor (or the page no URL).
func (p *Page) SectionURL(i int) string {
	if i < 0 || i >= len(p.Sections) || p.Sections[i].Anchor == "" || p.URL == "" {
		return p.URL
	}
	u, err := url.Parse(strings.TrimSpace(p.URL))
	if err != nil {
		return p.URL
	}
	u.Fragment, u.RawFragment = p.Sections[i].Anchor, ""
	return u.String()
}
