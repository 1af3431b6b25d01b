package knowledge

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
