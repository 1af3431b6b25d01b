package dialog

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/knowledge"
)

// Config tunes the engine. Zero values take the Default* values.
type Config struct {
	// CityName appears in the AI disclosure. Not an option of its own:
	// civibot sets it from city.name.
	CityName string `yaml:"-"`
	// DefaultLanguage is used when a message's language cannot be told.
	DefaultLanguage string `yaml:"default_language"`
	// AnswerThreshold: a confidence at or above it is answered outright.
	AnswerThreshold float64 `yaml:"answer_threshold"`
	// HandoffThreshold: a confidence below it goes to a person. Between the
	// two the bot answers with a hint that it is not sure, and offers a
	// person, or asks which of two close pages is meant.
	HandoffThreshold float64 `yaml:"handoff_threshold"`
	// ClarifyMargin: when the second page's fused score is within this share
	// of the first's, and they are different services, the bot asks.
	ClarifyMargin float64 `yaml:"clarify_margin"`
	// SearchLimit is how many pages are retrieved per turn.
	SearchLimit int `yaml:"search_limit"`
	// Where restricts search to pages whose metadata match (e.g. city).
	Where map[string]string `yaml:"where"`
	// Calibration turns retrieval evidence into a confidence (0..1).
	Calibration Calibration `yaml:"calibration"`
}

// Default engine settings, calibrated on testdata/eval (see docs/benchmarks.md).
const (
	DefaultAnswerThreshold  = 0.8
	DefaultHandoffThreshold = 0.25
	DefaultClarifyMargin    = 0.08
	DefaultSearchLimit      = 5
)

// Validate reports settings that cannot work, with how to fix them.
func (c Config) Validate() error {
	if c.AnswerThreshold < 0 || c.AnswerThreshold > 1 {
		return fmt.Errorf("dialog.answer_threshold must be between 0 and 1, got %v", c.AnswerThreshold)
	}
	if c.HandoffThreshold < 0 || c.HandoffThreshold > 1 {
		return fmt.Errorf("dialog.handoff_threshold must be between 0 and 1, got %v", c.HandoffThreshold)
	}
	if c.AnswerThreshold != 0 && c.HandoffThreshold > c.AnswerThreshold {
		return fmt.Errorf("dialog.handoff_threshold (%v) must not be above dialog.answer_threshold (%v)", c.HandoffThreshold, c.AnswerThreshold)
	}
	if c.DefaultLanguage != "" && c.DefaultLanguage != "de" && c.DefaultLanguage != "en" {
		return fmt.Errorf("dialog.default_language must be \"de\" or \"en\", got %q", c.DefaultLanguage)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.CityName == "" {
		c.CityName = "Musterstadt"
	}
	if c.DefaultLanguage == "" {
		c.DefaultLanguage = "de"
	}
	if c.AnswerThreshold == 0 {
		c.AnswerThreshold = DefaultAnswerThreshold
	}
	if c.HandoffThreshold == 0 {
		c.HandoffThreshold = DefaultHandoffThreshold
	}
	if c.ClarifyMargin == 0 {
		c.ClarifyMargin = DefaultClarifyMargin
	}
	if c.SearchLimit == 0 {
		c.SearchLimit = DefaultSearchLimit
	}
	if c.Calibration == (Calibration{}) {
		c.Calibration = DefaultCalibration()
	}
	return c
}

// Config returns the engine's settings with the defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// retriever is what the engine needs of the knowledge base.
type retriever interface {
	Search(ctx context.Context, q knowledge.Query) ([]knowledge.Hit, error)
	Page(id string) (*knowledge.Page, bool)
}

// analyzer turns text into the terms retrieval matches on.
type analyzer interface {
	Terms(text, lang string) []string
	Concepts(text, lang string) []knowledge.Concept
	Rarity(term string) float64
	Known(term string) bool
}

// Phraser rewrites extracted passages into a fluent answer (an optional
// LLM). It must only use the passages it is given.
type Phraser interface {
	Phrase(ctx context.Context, question, lang string, passages []Passage) (string, error)
}

// Passage is a quoted piece of a page handed to a Phraser.
type Passage struct {
	Title string
	URL   string
	Text  string
}

// Engine answers one turn. It is safe for concurrent use.
type Engine struct {
	cfg     Config
	kb      retriever
	an      analyzer
	phraser Phraser
	intents *intentMatcher
	aspects []aspectRule
	fillers map[string]bool
	log     *slog.Logger
	// pages caches each page's analysed sentences (page id →
	// pageSentences); a knowledge base's pages do not change.
	pages sync.Map
	// headings caches each page's analysed section headings (page id →
	// []sentence, by section; the zero sentence for none).
	headings sync.Map
	// answersAspect: page id + aspect → whether the page answers it
	// (pageAnswers).
	answersAspect sync.Map
	// subjects caches the subjects each page's title names (page id →
	// []map[string]bool, see titleParts).
	subjects sync.Map
}

// NewEngine builds an engine over a knowledge base. phraser may be nil
// (extractive answers only, the default).
func NewEngine(cfg Config, kb *knowledge.KB, phraser Phraser, log *slog.Logger) (*Engine, error) {
	if kb == nil {
		return nil, fmt.Errorf("dialog: new engine: knowledge base is required")
	}
	return newEngine(cfg, kb, kb.Analyzer(), phraser, log)
}

func newEngine(cfg Config, kb retriever, an analyzer, phraser Phraser, log *slog.Logger) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dialog: new engine: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Remote calls (a remote embedder, the LLM) give up the turn's CPU
	// slot while they wait (slot.go).
	if phraser != nil {
		phraser = slotPhraser{phraser}
	}
	e := &Engine{
		cfg: cfg.withDefaults(), kb: slotRetriever{kb}, an: an, phraser: phraser,
		intents: newIntentMatcher(), aspects: newAspectRules(), log: log,
	}
	e.fillers = map[string]bool{}
	for _, lang := range []string{"de", "en"} {
		for _, t := range an.Terms(followUpFillers, lang) {
			e.fillers[t] = true
		}
	}
	return e, nil
}

// followUpFillers are words of a follow-up that name no topic of their own
// ("und was kostet das?", "what documents do I need for it?").
const followUpFillers = `und was wie wo wann welche welcher kostet kosten kosten gebühr gebühren preis teuer bezahlen
unterlagen dokumente mitbringen brauche benötige frist fristen dauert dauer lange öffnungszeiten geöffnet adresse termin
voraussetzungen ablauf beantragen dafür dazu davon damit darum das dies es muss man ich noch auch bitte genau
and what how where when which cost costs fee fees price pay documents papers bring need deadline long take open opening hours
address appointment requirements apply procedure it that this for about then also please exactly`

// anaphora mark a message that refers back to the previous topic.
var anaphora = re(`\b(das|dafuer|dazu|davon|damit|dort|dahin|es|ihn|sie|it|that|this|there|them|those)\b|^(und|and|what about|wie ist es mit|und wenn)\b`)

// Respond answers one turn.
func (e *Engine) Respond(ctx context.Context, t Turn) (Reply, error) {
	text := strings.TrimSpace(t.Text)
	lang := e.language(text, t.Language)
	p := phrasesFor(lang)
	r := Reply{Language: lang, Context: t.Context}
	r.Context.Candidates = nil

	it, question := e.intents.classify(text)
	switch it {
	case intentEmergency:
		r = e.fixed(r, p.Emergency, KindEmergency, string(it), ReasonUrgent)
	case intentDistress:
		r = e.fixed(r, p.Distress, KindEmergency, string(it), ReasonUrgent)
	case intentInjection:
		r = e.fixed(r, p.HandoffInjection, KindHandoff, string(it), ReasonPromptInjection)
	case intentHuman:
		r = e.fixed(r, p.HandoffHuman, KindHandoff, string(it), ReasonHumanRequest)
	case intentCaseSpecific:
		r = e.fixed(r, p.HandoffCase, KindHandoff, string(it), ReasonCaseSpecific)
	case intentOffTopic:
		r = e.scope(r, p, p.OffTopic, "intent: "+string(it))
		r.Decision.Intent = string(it)
	case intentGreeting:
		r = e.fixed(r, p.Greeting, KindSmallTalk, string(it), "")
		r.QuickReplies = topicReplies(p)
	case intentThanks:
		r = e.fixed(r, p.Thanks, KindSmallTalk, string(it), "")
	case intentGoodbye:
		r = e.fixed(r, p.Goodbye, KindSmallTalk, string(it), "")
	case intentCapabilities:
		r = e.fixed(r, p.Capabilities, KindSmallTalk, string(it), "")
		r.QuickReplies = topicReplies(p)
	default:
		var err error
		r, err = e.answer(ctx, question, lang, t, r)
		if err != nil {
			return Reply{}, err
		}
	}
	if t.Context.Turns == 0 {
		r.Text = joinText(fmt.Sprintf(p.Disclosure, e.cfg.CityName), r.Text)
	}
	return r, nil
}

func (e *Engine) fixed(r Reply, text, kind, intent, handoff string) Reply {
	r.Text = text
	r.Handoff = handoff
	r.Decision = conversation.Decision{Kind: kind, Intent: intent, Reason: handoff, Confidence: 1,
		Reasons: []string{"intent: " + intent}}
	return r
}

// scope is the reply to a question outside the city's services: what
// civibot can help with and a person offered, but no handoff: nobody is
// queued and no contact details are asked for unless the citizen asks for
// a person.
func (e *Engine) scope(r Reply, p phrases, text string, reasons ...string) Reply {
	r.Text = text
	r.Handoff = ""
	r.QuickReplies = append(topicReplies(p), conversation.QuickReply{Label: p.PersonButton, Payload: p.PersonButton})
	r.Decision = conversation.Decision{Kind: KindScope, Reason: ReasonOutOfScope, Confidence: 1, Reasons: reasons}
	return r
}

func topicReplies(p phrases) []conversation.QuickReply {
	out := make([]conversation.QuickReply, len(p.Topics))
	for i, t := range p.Topics {
		out[i] = conversation.QuickReply{Label: t, Payload: t}
	}
	return out
}

// language picks the reply language: what the text clearly is, else the
// channel's hint, else the default.
func (e *Engine) language(text, hint string) string {
	lang, conf := knowledge.DetectLanguage(text)
	if (lang == "de" || lang == "en") && conf >= 0.5 {
		return lang
	}
	if hint == "de" || hint == "en" {
		return hint
	}
	if lang == "de" || lang == "en" {
		return lang
	}
	return e.cfg.DefaultLanguage
}

// answer handles a question: follow-up or clarification choice, retrieval,
// confidence, decision, composition.
func (e *Engine) answer(ctx context.Context, question, lang string, t Turn, r Reply) (Reply, error) {
	p := phrasesFor(lang)
	asked := detectAspect(e.aspects, question)
	base := composition{question: question, aspect: asked, style: t.Style, lang: lang, conf: 1}

	// A quick reply picked from a clarifying question names its page.
	if id := e.chosenCandidate(question, t.Context.Candidates); id != "" {
		if page, ok := e.kb.Page(id); ok {
			c := base
			c.page, c.reasons = page, []string{"citizen chose this page from the clarifying question"}
			// The question is the one the citizen asked before choosing.
			if t.Context.LastQuestion != "" {
				c.question = t.Context.LastQuestion
				c.aspect = detectAspect(e.aspects, c.question)
			}
			return e.compose(ctx, r, c), nil
		}
	}
	// "Und was kostet das?" — the topic is the previous answer's page.
	if page, ok := e.followUpPage(question, lang, t.Context); ok {
		c := base
		c.page, c.reasons = page, []string{"follow-up on " + page.ID}
		return e.compose(ctx, r, c), nil
	}

	hits, err := e.kb.Search(ctx, knowledge.Query{Text: question, Language: lang, Limit: e.cfg.SearchLimit, Where: e.cfg.Where})
	if err != nil {
		return Reply{}, fmt.Errorf("dialog: search: %w", err)
	}
	candidates := pageRefs(hits)
	var prepared *composed
	if len(hits) > 0 {
		// The best page's passage for the question is evidence too: the
		// right page has sentences that answer.
		cp := e.prepare(hits[0].Page, question, asked, lang, t.Style)
		prepared = &cp
	}
	conf, ev, reasons := e.cfg.Calibration.confidence(hits, lang, prepared)
	r.Evidence = ev
	if len(hits) > 0 && hits[0].Opposite != "" && conf >= e.cfg.AnswerThreshold {
		// "Wohnung abmelden" for a question about the Anmeldung: maybe the
		// right page, maybe its opposite — never a confident answer.
		conf = math.Nextafter(e.cfg.AnswerThreshold, 0)
		reasons = append(reasons, fmt.Sprintf("the page's title says %q, the opposite particle of the question's: not a confident answer", hits[0].Opposite))
	}

	if len(hits) > 0 && len(hits[0].Unknown) > 0 && conf >= e.cfg.AnswerThreshold {
		// "Genehmigung für meinen Quadrokopter": a word no page of the
		// city knows may be the very thing asked about, which the city
		// has no page for; the page found by the other words ("Bau-
		// genehmigung") is offered, never stated with confidence.
		conf = math.Nextafter(e.cfg.AnswerThreshold, 0)
		reasons = append(reasons, fmt.Sprintf("no page of the city knows %q: not a confident answer", strings.Join(hits[0].Unknown, " ")))
	}

	if conf < e.cfg.AnswerThreshold && scopeCue(question) {
		r = e.scope(r, p, p.OffTopic, append(reasons, "a question of a kind outside the city's services, and no page the engine is sure of")...)
		r.Decision.Confidence = conf
		r.Decision.Candidates = candidates
		return r, nil
	}
	if len(hits) > 1 && conf < e.cfg.HandoffThreshold && slices.Contains(hits[0].Siblings, hits[1].Page.ID) &&
		!sameService(hits[0].Page, hits[1].Page) && hits[1].Page.Language == hits[0].Page.Language {
		// Unsure of the page, but the question names the family of
		// services the two belong to ("Ich ziehe mit meinem Pitbull in
		// einen anderen Bezirk": "Gefährlicher Hund - Abmeldung" or
		// "Ummeldung"): the citizen can say which, or ask for a person.
		return e.clarify(r, p, hits[0], hits[1], question, conf, candidates,
			append(reasons, fmt.Sprintf("confidence %.2f below handoff threshold %.2f, but the question names the family of the two best services", conf, e.cfg.HandoffThreshold))), nil
	}
	if len(hits) == 0 || conf < e.cfg.HandoffThreshold {
		if why := outOfScope(hits, ev); why != "" {
			r = e.scope(r, p, p.NothingFound, append(reasons, why)...)
			r.Decision.Confidence = conf
			r.Decision.Candidates = candidates
			return r, nil
		}
		r.Text = p.HandoffLowConf
		r.Handoff = ReasonLowConfidence
		r.Decision = conversation.Decision{Kind: KindHandoff, Reason: ReasonLowConfidence, Confidence: conf,
			Reasons:    append(reasons, fmt.Sprintf("confidence %.2f below handoff threshold %.2f", conf, e.cfg.HandoffThreshold)),
			Candidates: candidates}
		return r, nil
	}
	top := hits[0]
	if second, ok := e.closeSecond(hits, lang); ok {
		return e.clarify(r, p, top, second, question, conf, candidates, append(reasons, "two different services score within the clarify margin")), nil
	}
	c := base
	c.page, c.hit, c.conf, c.reasons, c.candidates, c.prepared = top.Page, &top, conf, reasons, candidates, prepared
	if conf < e.cfg.AnswerThreshold {
		// Not sure: the answer says so and offers the next services found
		// and a person.
		c.reasons = append(c.reasons, fmt.Sprintf("confidence %.2f below answer threshold %.2f: hedged answer, other pages and a person offered", conf, e.cfg.AnswerThreshold))
		c.hedged = true
		for _, h := range alternatives(hits, lang, 2) {
			c.extra = append(c.extra, conversation.QuickReply{Label: h.Page.Title, Payload: h.Page.Title})
			c.alternatives = append(c.alternatives, h.Page.ID)
		}
		c.extra = append(c.extra, conversation.QuickReply{Label: p.PersonButton, Payload: p.PersonButton})
	}
	return e.compose(ctx, r, c), nil
}

// composition is what an answer is composed from.
type composition struct {
	page       *knowledge.Page
	hit        *knowledge.Hit // nil when the page was not found by a search (a follow-up, a choice)
	question   string
	aspect     aspect
	style      Style
	lang       string
	conf       float64
	reasons    []string
	candidates []conversation.PageRef
	extra      []conversation.QuickReply // offered after the follow-ups
	// hedged: the engine is not sure the page is the right one; the text
	// says so and alternatives (page ids, offered in extra) can be chosen.
	hedged       bool
	alternatives []string
	prepared     *composed // the passage, when already chosen for this page and question
}

// composed is a question analysed against a page and the passage chosen.
type composed struct {
	page *knowledge.Page
	ps   pageSentences
	q    question
	pass passage
	lim  composeLimits
}

// prepare analyses the question against the page and chooses the passage.
func (e *Engine) prepare(page *knowledge.Page, text string, asked aspect, lang string, style Style) composed {
	lim := limitsFor(style).forTitle(page.Title, style)
	if page.Language != "" && page.Language != lang {
		lim.chars -= len([]rune(phrasesFor(lang).OtherLanguage)) + 1
	}
	ps := e.sentences(page)
	q := e.newQuestion(text, lang, asked, page)
	pass := e.selectPassage(page, ps, q, lim)
	return composed{page: page, ps: ps, q: q, pass: withLabel(ps, q, withContact(ps, q, withDeadline(page, ps, q, pass, lim), lim), lim), lim: lim}
}

// compose builds an answer from one page: the passage that answers the
// question, or — when the page does not say what was asked — that it does
// not, with the link and a person offered.
func (e *Engine) compose(ctx context.Context, r Reply, c composition) Reply {
	p := phrasesFor(c.lang)
	page := c.page
	var cp composed
	if c.prepared != nil && c.prepared.page == page {
		cp = *c.prepared
	} else {
		cp = e.prepare(page, c.question, c.aspect, c.lang, c.style)
	}
	ps, q, pass, lim := cp.ps, cp.q, cp.pass, cp.lim
	c.aspect = q.aspect
	if c.candidates == nil {
		c.candidates = []conversation.PageRef{{ID: page.ID, Title: page.Title, URL: page.URL, Score: c.conf}}
	}
	reasons := c.reasons
	if c.aspect != aspectNone {
		reasons = append(reasons, "asked about: "+string(c.aspect))
	}
	r.Sources = []conversation.Source{{PageID: page.ID, Title: page.Title, URL: page.URL}}
	r.Context.LastPageID = page.ID
	r.Context.LastTopic = page.Title
	r.Context.LastQuestion = c.question
	r.Quotes = nil

	answerability, why := e.notCovered(q, pass)
	if why != "" {
		r.Text = p.notCovered(c.aspect, page.Title)
		if c.style == StyleSpoken {
			r.Text = joinText(r.Text, fmt.Sprintf(p.SeePage, page.Title))
		}
		r.QuickReplies = append([]conversation.QuickReply{{Label: p.PersonButton, Payload: p.PersonButton}}, e.followUps(page, ps, c.aspect, p, nil)...)
		r.Decision = conversation.Decision{Kind: KindNotCovered, Confidence: c.conf, Reasons: append(reasons, why), Candidates: c.candidates}
		return r
	}

	reasons = append(reasons, fmt.Sprintf("answerability %.2f", answerability))
	var more func(int) string
	if c.style == StyleFull || c.style == StyleMail {
		more = p.moreItems(listRest(ps, pass))
	}
	text := render(page.Title, pass, c.style, lim, more)
	if e.phraser != nil && c.style == StyleFull && len(pass.sentences) > 0 {
		if phrased, err := e.phrase(ctx, c.question, c.lang, page, pass); err == nil {
			text = phrased
			reasons = append(reasons, "phrased by the configured LLM from the quoted passage")
		} else {
			e.log.WarnContext(ctx, "llm phrasing failed, answering extractively", "error", err)
		}
	}
	if page.Language != "" && page.Language != c.lang {
		text = joinText(text, p.OtherLanguage)
	}
	if c.style == StyleSpoken {
		text = joinText(text, fmt.Sprintf(p.SeePage, page.Title))
	}
	if c.hedged {
		text = p.Hedge + "\n" + text
		r.Context.Candidates = c.alternatives
	}
	r.Text = text
	// The link leads to where the quoted text starts, when the page gives
	// that section an anchor.
	r.Sources[0].URL = page.SectionURL(pass.sentences[0].section)
	for _, s := range pass.sentences {
		r.Quotes = append(r.Quotes, s.text)
	}
	follow := e.followUps(page, ps, c.aspect, p, shownSections(page, pass))
	if c.hedged && len(follow) > 2 {
		follow = follow[:2]
	}
	r.QuickReplies = append(follow, c.extra...)
	r.Decision = conversation.Decision{Kind: KindAnswer, Confidence: c.conf, Reasons: reasons, Candidates: c.candidates}
	return r
}

// notCovered returns how likely the passage answers what was asked and,
// when the page does not, why ("" when it does; see answerable.go).
func (e *Engine) notCovered(q question, pass passage) (float64, string) {
	if len(pass.sentences) == 0 {
		return 0, "the page has no text to quote"
	}
	p := answerable(answerFeatures(q, pass))
	threshold := answerableThreshold
	if q.cross {
		threshold = crossThreshold
	}
	if p >= threshold {
		return p, ""
	}
	why := fmt.Sprintf("the page does not seem to answer the question (answerability %.2f below %.2f; ", p, threshold)
	if !pass.aspectFound {
		why += "nothing about " + string(q.aspect) + "; "
	}
	if comparison.MatchString(fold(q.text)) {
		why += "a comparison, which pages rarely make; "
	}
	return p, why + fmt.Sprintf("the passage holds %.0f%%, the page %.0f%% of the question's telling words)", 100*pass.support, 100*pass.pageSupport)
}

func (e *Engine) phrase(ctx context.Context, question, lang string, page *knowledge.Page, ps passage) (string, error) {
	var b strings.Builder
	for _, s := range ps.sentences {
		b.WriteString(s.text)
		b.WriteString("\n")
	}
	return e.phraser.Phrase(ctx, question, lang, []Passage{{Title: page.Title, URL: page.URL, Text: b.String()}})
}

// sentences returns the page's analysed sentences, analysing it once.
func (e *Engine) sentences(page *knowledge.Page) pageSentences {
	if ps, ok := e.pages.Load(page.ID); ok {
		return ps.(pageSentences)
	}
	lang := page.Language
	ps := analyze(page, func(s string) []knowledge.Concept { return e.an.Concepts(s, lang) })
	bits := make([]uint64, len(e.aspects))
	for i, r := range e.aspects {
		bits[i] = cueBit(e.aspects, r.aspect)
	}
	for _, sents := range ps {
		for i := range sents {
			for ri, r := range e.aspects {
				if sents[i].cues&bits[ri] == 0 && r.cue.MatchString(sents[i].folded) {
					sents[i].cues |= bits[ri]
				}
			}
		}
	}
	e.pages.Store(page.ID, ps)
	return ps
}

// headingSentences returns the page's section headings analysed like
// its sentences (by section; the zero sentence where there is none),
// analysing them once.
func (e *Engine) headingSentences(page *knowledge.Page) []sentence {
	if hs, ok := e.headings.Load(page.ID); ok {
		return hs.([]sentence)
	}
	hs := make([]sentence, len(page.Sections))
	for si, sec := range page.Sections {
		if h := strings.TrimSpace(sec.Heading); h != "" {
			hs[si] = sentence{text: h, heading: true, section: si}
			hs[si].terms, hs[si].own = termsOf(e.an.Concepts(h, page.Language))
		}
	}
	e.headings.Store(page.ID, hs)
	return hs
}

// chosenCandidate returns the id of the clarification candidate whose title
// the citizen sent back.
func (e *Engine) chosenCandidate(question string, candidates []string) string {
	q := conversation.NormalizeQuestion(question)
	for _, id := range candidates {
		if page, ok := e.kb.Page(id); ok && conversation.NormalizeQuestion(page.Title) == q {
			return id
		}
	}
	return ""
}

// followUpPage returns the previous answer's page when the question names
// no topic of its own.
func (e *Engine) followUpPage(question, lang string, c conversation.Context) (*knowledge.Page, bool) {
	if c.LastPageID == "" {
		return nil, false
	}
	page, ok := e.kb.Page(c.LastPageID)
	if !ok {
		return nil, false
	}
	content := 0
	for _, t := range e.an.Terms(question, lang) {
		if !e.fillers[t] {
			content++
		}
	}
	if content == 0 || (content == 1 && anaphora.MatchString(fold(question))) {
		return page, true
	}
	return nil, false
}

// clarify asks which of two pages is meant, with a person offered.
func (e *Engine) clarify(r Reply, p phrases, first, second knowledge.Hit, question string, conf float64, candidates []conversation.PageRef, reasons []string) Reply {
	r.Text = p.Clarify
	r.QuickReplies = []conversation.QuickReply{
		{Label: first.Page.Title, Payload: first.Page.Title},
		{Label: second.Page.Title, Payload: second.Page.Title},
		{Label: p.PersonButton, Payload: p.PersonButton},
	}
	r.Context.Candidates = []string{first.Page.ID, second.Page.ID}
	r.Context.LastQuestion = question
	r.Decision = conversation.Decision{Kind: KindClarify, Confidence: conf, Reasons: reasons, Candidates: candidates}
	return r
}

// closeSecond returns the second hit when it is a different service that
// scores almost as well as the first. A page in another language than the
// citizen's is no alternative to one in their language: it is only there
// as a fallback.
func (e *Engine) closeSecond(hits []knowledge.Hit, lang string) (knowledge.Hit, bool) {
	if len(hits) < 2 || hits[0].Score <= 0 {
		return knowledge.Hit{}, false
	}
	a, b := hits[0], hits[1]
	if sameService(a.Page, b.Page) || (a.Page.Language == lang && b.Page.Language != lang) || slices.Contains(a.DecidedOver, b.Page.ID) {
		return knowledge.Hit{}, false
	}
	margin := (a.Score - b.Score) / a.Score
	if margin < e.cfg.ClarifyMargin && b.Coverage >= a.Coverage*0.9 {
		return b, true
	}
	return knowledge.Hit{}, false
}

// alternatives are up to n hits after the first, each of another service
// than the ones before it, in the question's language where there are such.
func alternatives(hits []knowledge.Hit, lang string, n int) []knowledge.Hit {
	var out []knowledge.Hit
	for _, h := range hits[1:] {
		if len(out) == n {
			break
		}
		if lang != "" && h.Page.Language != "" && h.Page.Language != lang && hits[0].Page.Language == lang {
			continue
		}
		dup := sameService(hits[0].Page, h.Page)
		for _, o := range out {
			dup = dup || sameService(o.Page, h.Page)
		}
		if !dup {
			out = append(out, h)
		}
	}
	return out
}

// outOfScope says why a question the engine cannot answer is taken to be
// outside the city's services ("" when it may be a city matter): no page
// matched it, or not one of its words is known to any page of the city.
// A share of unknown words is no signal: city questions hold compounds,
// typos and words of the other language as often.
func outOfScope(hits []knowledge.Hit, ev *Evidence) string {
	if len(hits) == 0 || ev == nil {
		return "no page matched the question: outside the city's services"
	}
	if ev.Unknown >= 1 && len(hits[0].Matched) == 0 {
		return "none of the question's words is known to the city's pages: outside the city's services"
	}
	return ""
}

func sameService(a, b *knowledge.Page) bool {
	if a.ID == b.ID {
		return true
	}
	sa, sb := a.Meta["service"], b.Meta["service"]
	if sa != "" && sa == sb {
		return true
	}
	return strings.EqualFold(strings.TrimSpace(a.Title), strings.TrimSpace(b.Title)) || knowledge.OfficeVariant(a, b)
}

// confidence scores the retrieval evidence of the best page: how much of
// the question it covers, how similar it is, how many of the question's
// words the city's pages do not know at all, and how clearly it beats the
// next page.
func (cal Calibration) confidence(hits []knowledge.Hit, lang string, best *composed) (float64, *Evidence, []string) {
	if len(hits) == 0 {
		return 0, nil, []string{"no page matched the question"}
	}
	ev := evidenceOf(hits, lang)
	if best != nil {
		if sh, ok := best.q.evidence().shareOf(passageHits(best.q, best.pass)); ok {
			ev.Passage = sh
		} else {
			ev.Passage = 1
		}
		ev.Sentence = best.pass.best
	}
	top := hits[0]
	conf := cal.Confidence(ev)
	reasons := []string{
		fmt.Sprintf("top page %s: coverage %.2f (%s), vector %.2f, margin %.2f", top.Page.ID, top.Coverage,
			strings.Join(top.Matched, " "), top.Vector, ev.Margin),
	}
	if len(top.Missing) > 0 {
		reasons = append(reasons, "not found in the page: "+strings.Join(top.Missing, " "))
	}
	if len(top.Unknown) > 0 {
		reasons = append(reasons, "unknown to the city's pages: "+strings.Join(top.Unknown, " "))
	}
	return math.Round(conf*1000) / 1000, &ev, reasons
}

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

func pageRefs(hits []knowledge.Hit) []conversation.PageRef {
	out := make([]conversation.PageRef, 0, len(hits))
	for _, h := range hits {
		out = append(out, conversation.PageRef{ID: h.Page.ID, Title: h.Page.Title, URL: h.Page.URL, Score: math.Round(h.Score*10000) / 10000})
	}
	return out
}
