package importer

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/civibot/civibot/knowledge"
)

// Page boilerplate is text a CMS puts on every page that answers no
// citizen's question: "Letzte Aktualisierung: 28.04.2025", "Seite drucken",
// "Zur Startseite", a "Noch nicht das passende gefunden?" box. It is
// stripped at import so it never reaches an answer. A keyword block
// ("Suchwörter: Perso Ausweis …") is not thrown away: its words become the
// page's keywords, searched like its title but never shown.

// defaultBoilerplateLines match whole lines (cleaned, a list bullet
// removed, case-insensitive) that are dropped.
var defaultBoilerplateLines = []string{
	// "last updated" stamps (a date or number must follow)
	`(letzte|zuletzt) (aktualisierung|änderung|aktualisiert|geändert)( am)?:? *\d.*`,
	`(aktualisiert|geändert|stand|seitenstand|veröffentlicht)( am| vom)?: *\d.*`,
	`stand \d{1,2}[./]\d{1,2}[./]\d{2,4}.*`,
	`(last|page) (updated|modified|update|changed)( on)?:? *\d.*`,
	// page tools and navigation
	`(seite )?(drucken|ausdrucken|teilen|empfehlen|merken|vorlesen)|druckversion|(diese )?seite (drucken|teilen|empfehlen|vorlesen)`,
	`nach oben|zum seitenanfang|seitenanfang|(zurück )?zum (seiten)?anfang|zurück|zurück zur (übersicht|startseite|suche|trefferliste)|zur übersicht`,
	`(zur|zurück zur) .{0,60}(startseite|übersicht)`,
	`print( this page)?|share( this page)?|back to top|back|to top|(back )?to the (overview|homepage|home page)`,
	`(cookie|cookies)[- ]?(einstellungen|settings|hinweis|banner)?|cookie-einstellungen ändern`,
	`war diese seite hilfreich\??|was this page helpful\??|(ja|nein|yes|no) *\|? *(ja|nein|yes|no)`,
	`inhalt(sverzeichnis)? (anzeigen|ausblenden)|(show|hide) (contents|table of contents)`,
	`(zum )?(hauptinhalt|inhalt) springen|skip to (main )?content`,
	// widget and link labels whose target the text lost (one or several
	// on a line: "Details anzeigen Jetzt einen Termin buchen")
	`(` + uiLabels + `)( +(` + uiLabels + `))*`,
}

// uiLabels are the labels of buttons and map or contact widgets.
const uiLabels = `(details|mehr|weniger|alle|alles) anzeigen|kontakt speichern|(adresse )?auf (der )?karte anzeigen|anfahrt|route planen|` +
	`in der nähe finden|(aktuellen )?standort (suchen|ermitteln)|jetzt (einen )?termin (buchen|vereinbaren)|termin buchen|` +
	`show (more|less|details|on map)|save contact|get directions|book (an )?appointment( now)?`

// defaultBoilerplateHeadings match whole section headings whose section is
// dropped with its text.
var defaultBoilerplateHeadings = []string{
	`noch nicht (das )?passende(s)? gefunden\??`,
	`nicht gefunden,? was sie suchen\??`,
	`(das )?könnte sie auch interessieren:?`,
	`war diese seite hilfreich\??|was this page helpful\??`,
	`(diese )?seite teilen|share( this page)?|teilen`,
	`(didn't|did not) find what you (were )?(looking for|need)\??`,
	// navigation to other pages: link lists that name other services
	// ("Personalausweise, sperren (bei Verlust …)") and would be found and
	// quoted for questions about those
	`weitere (dienstleistungen|leistungen|themen)|verwandte (themen|leistungen|dienstleistungen|links)|siehe auch|weiterführende links`,
	`links( auf .{1,40}| im internet| zum thema)?|externe links`,
	`related (services|links|topics|pages)|see also|more services|external links|useful links`,
}

// listBullet starts a list item of a section's text.
var listBullet = regexp.MustCompile(`^([-*•–]|\d+[.)])\s+`)

// keywordBlock is a line that lists a page's search words.
var keywordBlock = regexp.MustCompile(`(?i)^(?:suchwörter|suchworte|suchbegriffe|schlagwörter|schlagworte|stichwörter|stichworte|keywords|search terms|tags)\s*:\s*(.+)$`)

// trailingLabels are widget labels at the end of a line of text: a
// Markdown export runs a contact's link labels into its line ("115
// (+4940115) Kontakt speichern Details anzeigen Jetzt einen Termin buchen").
var trailingLabels = regexp.MustCompile(`(?i)(\s+(?:` + uiLabels + `))+\s*$`)

// boilerplate strips page boilerplate from imported pages.
type boilerplate struct {
	lines, headings *regexp.Regexp
	// labels: widget labels ending a line are dropped (with the defaults).
	labels bool
	// defaults: the default patterns apply, and so does dropping text the
	// site repeats on many pages.
	defaults bool
}

// newBoilerplate compiles the default patterns and the city's own (whole
// lines, case-insensitive Go regular expressions). With none as the only
// extra pattern, no default applies.
func newBoilerplate(extra []string) (*boilerplate, error) {
	lines := defaultBoilerplateLines
	headings := defaultBoilerplateHeadings
	defaults := true
	var own []string
	for _, p := range extra {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
		case strings.EqualFold(p, "none") || strings.EqualFold(p, "off"):
			lines, headings, defaults = nil, nil, false
		default:
			if _, err := regexp.Compile(p); err != nil {
				return nil, fmt.Errorf("importer: boilerplate pattern %q: %w", p, err)
			}
			own = append(own, p)
		}
	}
	b := &boilerplate{defaults: defaults, labels: defaults}
	if all := append(append([]string(nil), lines...), own...); len(all) > 0 {
		b.lines = regexp.MustCompile(`(?i)^(?:` + strings.Join(wrapAll(all), "|") + `)$`)
	}
	if len(headings) > 0 || len(own) > 0 {
		// The city's patterns also match headings: a heading that is
		// boilerplate takes its section with it.
		b.headings = regexp.MustCompile(`(?i)^(?:` + strings.Join(wrapAll(append(append([]string(nil), headings...), own...)), "|") + `)$`)
	}
	return b, nil
}

func wrapAll(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = "(?:" + p + ")"
	}
	return out
}

// strip removes boilerplate lines and sections from p, moving keyword
// blocks to p.Keywords. It reports how many lines it removed.
func (b *boilerplate) strip(p *knowledge.Page) int {
	removed := 0
	secs := p.Sections[:0:0]
	for _, s := range p.Sections {
		var kept []string
		// navList: a line of the text matched a boilerplate heading (a
		// deeper heading the section kept as text: Hamburg's "#### Links im
		// Internet"); the list under it goes with it.
		navList := false
		for _, l := range strings.Split(s.Text, "\n") {
			if navList {
				if t := strings.TrimSpace(l); t == "" || listBullet.MatchString(t) {
					removed++
					continue
				}
				navList = false
			}
			if b.labels {
				if cut := trailingLabels.ReplaceAllString(l, ""); cut != l && strings.TrimSpace(strings.TrimLeft(cut, "-•*· ")) != "" {
					l = cut
				}
			}
			bare := strings.TrimSpace(strings.TrimLeft(l, "-•*· "))
			if b.headings != nil && bare == strings.TrimSpace(l) && b.headings.MatchString(bare) {
				navList = true
				removed++
				continue
			}
			if m := keywordBlock.FindStringSubmatch(bare); m != nil {
				p.Keywords = appendKeywords(p.Keywords, m[1])
				removed++
				continue
			}
			if b.lines != nil && (b.lines.MatchString(bare) || b.lines.MatchString(strings.TrimRight(bare, " ."))) {
				removed++
				continue
			}
			kept = append(kept, l)
		}
		if b.headings != nil && s.Heading != "" && b.headings.MatchString(strings.TrimSpace(s.Heading)) {
			removed += len(kept)
			continue
		}
		s.Text = strings.Join(kept, "\n")
		if strings.TrimSpace(s.Text) == "" {
			continue
		}
		secs = append(secs, s)
	}
	p.Sections = secs
	return removed
}

// appendKeywords adds a keyword block's words: comma- or
// semicolon-separated phrases when it has separators, else the block as
// one keyword (space-separated blocks cannot be cut into phrases reliably).
func appendKeywords(kw []string, block string) []string {
	seen := map[string]bool{}
	for _, k := range kw {
		seen[strings.ToLower(k)] = true
	}
	parts := strings.FieldsFunc(block, func(r rune) bool { return r == ',' || r == ';' || r == '|' })
	for _, k := range parts {
		k = knowledge.CleanLine(k)
		if k == "" || seen[strings.ToLower(k)] {
			continue
		}
		seen[strings.ToLower(k)] = true
		kw = append(kw, k)
	}
	return kw
}

// Text a site repeats on many of its pages is boilerplate too, whatever it
// says: Hamburg's CMS puts one office-equipment notice ("An unseren Speed
// Capture Terminals … Für Fischereischeine und Führerscheinanträge …") on
// 492 of 613 service pages, so that "Führerschein verloren" found the
// identity card pages. A line of at least repeatedMinWords words that
// occurs on at least repeatedShare of the pages imported together (and on
// repeatedMinPages) is dropped — except from contact sections and
// addresses, where offices legitimately repeat their opening hours. On the
// Berlin and Integreat pages no line reaches the threshold.
const (
	repeatedMinWords = 6
	repeatedShare    = 0.2
	repeatedMinPages = 10
)

// postcodeTown marks an address (a German postcode and a town).
var postcodeTown = regexp.MustCompile(`\b\d{5} +\p{Lu}`)

// dropRepeated removes site-wide repeated lines from pages and returns how
// many it removed. Pages left without text keep their lines.
func dropRepeated(pages []knowledge.Page) int {
	if len(pages) < repeatedMinPages {
		return 0
	}
	repeatable := func(s knowledge.Section) bool {
		return s.Kind != knowledge.SectionContact && !postcodeTown.MatchString(s.Text)
	}
	count := map[string]int{}
	for _, p := range pages {
		seen := map[string]bool{}
		for _, s := range p.Sections {
			if !repeatable(s) {
				continue
			}
			for _, l := range strings.Split(s.Text, "\n") {
				l = strings.TrimSpace(l)
				if !seen[l] && len(strings.Fields(l)) >= repeatedMinWords {
					seen[l] = true
					count[l]++
				}
			}
		}
	}
	min := max(repeatedMinPages, int(repeatedShare*float64(len(pages))+0.999))
	drop := map[string]bool{}
	for l, n := range count {
		if n >= min {
			drop[l] = true
		}
	}
	if len(drop) == 0 {
		return 0
	}
	removed := 0
	for i := range pages {
		p := &pages[i]
		var secs []knowledge.Section
		n := 0
		for _, s := range p.Sections {
			if repeatable(s) {
				var kept []string
				for _, l := range strings.Split(s.Text, "\n") {
					if drop[strings.TrimSpace(l)] {
						n++
						continue
					}
					kept = append(kept, l)
				}
				s.Text = strings.Join(kept, "\n")
			}
			if strings.TrimSpace(s.Text) != "" {
				secs = append(secs, s)
			}
		}
		if len(secs) == 0 {
			continue // nothing but the repeated text: keep the page as it was
		}
		p.Sections = secs
		removed += n
	}
	return removed
}
