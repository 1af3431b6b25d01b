package dialog

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/civibot/civibot/knowledge"
)

// An aspect is what a question asks about a service: what it costs, which
// documents to bring, the deadline, how long it takes, where to go, when it
// is open, how to reach the office, whether it can be done online, who is
// eligible, how to apply. The answer quotes the sentences of the page that
// say it: from the section that holds it ("Gebühren", "Unterlagen") or
// from sentences that look like it (an amount in euros, a weekday and a
// time) wherever the page puts them.
type aspect string

const (
	aspectNone        aspect = ""
	aspectFees        aspect = "fees"
	aspectDocuments   aspect = "documents"
	aspectDeadline    aspect = "deadline"
	aspectDuration    aspect = "duration"
	aspectPlace       aspect = "place"
	aspectHours       aspect = "hours"
	aspectContact     aspect = "contact"
	aspectOnline      aspect = "online"
	aspectEligibility aspect = "eligibility"
	aspectAge         aspect = "age"
	aspectProcedure   aspect = "procedure"
	aspectCount       aspect = "count"
	aspectWhen        aspect = "when"
)

// aspectRule says how an aspect is asked, which sections answer it and
// what a sentence that answers it looks like. Patterns match folded text
// (see fold).
type aspectRule struct {
	aspect   aspect
	question pattern
	sections []knowledge.SectionKind
	cue      pattern
}

// cueBit is aspect a's bit in sentence.cues (see Engine.sentences): that of
// its first rule (the rules of one aspect share their cue); 0 for none.
func cueBit(rules []aspectRule, a aspect) uint64 {
	for i := range rules {
		if rules[i].aspect == a {
			return 1 << i
		}
	}
	return 0
}

// span is a stretch of time in digits or number words ("14 Tage", "vier
// Wochen", "two years"), folded; timeSpan also one of a unit
// ("ein Jahr", "a week", "half an hour"), which only a question about how
// long something takes should count.
const (
	span     = `((\d+|\b(zwei|drei|vier|fuenf|sechs|sieben|acht|neun|zehn|elf|zwoelf|vierzehn|zwanzig|dreissig|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|twenty|thirty))\s*(werk)?(tage?n?|wochen?|monate?n?|jahre?n?|days?|weeks?|months?|years?)\b)`
	timeSpan = `(` + span + `|\b(ein|eine|einen|einem|einer|halbe?n?|a|an|one|half an?)\s+(werk)?(tag|woche|monat|jahr|stunde|day|week|month|year|hour)s?\b|\d+\s*(stunden|hours))`
)

// whoHelps asks who helps, offers or gives something ("Wer kann mir bei
// der Registrierung helfen?", "Who can offer support if …?"): where to
// turn, not who is eligible — the place rule holds it, before the
// eligibility rule's "wer kann" / "who can" ("Who can receive support?").
const whoHelps = `(\bwer (kann|koennte|wird|soll)\b.{0,60}\b(helfen|weiterhelfen|unterstuetzung bieten|unterstuetzen|beraten|anbieten|geben)\b|\bwer (hilft|unterstuetzt|beraet)\b|\bwho (can|could|will|should)\b.{0,40}\b(help|offer|provide|give|advise|assist)\b|\bwho (can|could|will|should) support\b|\bwho (helps|offers|provides|supports|advises)\b)`

// newAspectRules are checked in order: the first whose question pattern
// matches decides (a question about the fee of an appointment asks the
// fee).
func newAspectRules() []aspectRule {
	rules := []aspectRule{
		{aspectFees,
			re(`(kost|gebuehr|preis|\bteuer|bezahl|\bzahlen|\beuro\b|€|\bcost|\bfees?\b|price|how much|\bpay\b|charge|free of|umsonst|gratis)`),
			[]knowledge.SectionKind{knowledge.SectionFees},
			re(`(\d+([.,]\d+)?\s*(€|euro\b|eur\b)|€|\beuro\b|gebuehr|kosten|kostenlos|kostenfrei|gebuehrenfrei|unentgeltlich|\bfrei\b|bezahl|\bzahlen|\bzahlt|\bgeld\b|selbst aufkommen|\bcosts?\b|\bfees?\b|free of charge|\bfree\b|price|charge|\bpaid\b|\bpay\b|money)`)},
		// How old one must be: before documents, whose "brauche ich" it
		// shares ("Ab welchem Alter brauche ich einen Ausweis?").
		{aspectAge,
			re(`(welche(m|s|n)? alter|wie alt|\balter(sgrenze)?\b|altersbeschraenkung|mindestalter|volljaehrig|minderjaehrig|how old|what age|\bages?\b|age limit|minimum age)`),
			[]knowledge.SectionKind{knowledge.SectionPrerequisites},
			re(`(\d+\s*(jahre|jahren|lebensjahr)|lebensjahr|volljaehrig|minderjaehrig|jahre alt|\balter\b|kinder|jugendliche|erwachsene|\d+\s*years|years old|\baged?\b|\bages\b|under \d+|over \d+|adults?|children|minors?)`)},
		{aspectDocuments,
			re(`(unterlagen|dokument|mitbring|mitnehm|nachweis|\b(was|welche\w*)\b.{0,40}\b(brauche|benoetige) ich|\b(was|welche\w*)\b.{0,40}\b(braucht|benoetigt) man\b|welche papiere|\bdocuments?\b|\bbring\b|paperwork|papers|what do (i|you|we) need|need to (bring|provide|show)|proof)`),
			[]knowledge.SectionKind{knowledge.SectionDocuments},
			re(`(mitbring|mitzubring|vorleg|vorzuleg|vorzeig|vorzuzeig|unterlagen|dokument|nachweis|ausweis|bescheinigung|urkunde|formular|antragsformular|\bfoto|bring|present|\bdocuments?\b|proof|certificate|passport|\bform\b|photo)`)},
		{aspectDuration,
			re(`(wie lange dauert|dauert es|wie schnell|bearbeitungszeit|wartezeit|wann bekomme|wann erhalte|how long does|how long will|how long is the wait|processing time|waiting time|when will i (get|receive)|how quickly)`),
			[]knowledge.SectionKind{knowledge.SectionDeadlines, knowledge.SectionProcedure},
			re(`(dauert|dauer\b|betraegt|bearbeitungszeit|wartezeit|` + timeSpan + `|sofort|am selben tag|innerhalb|\btakes?\b|\blasts?\b|duration|immediately|same day|within)`)},
		{aspectDeadline,
			re(`(\bfrist|frist(en)?\b|bis wann|spaetestens|wie lange habe ich|wie viel zeit|rechtzeitig|gueltig|gueltigkeit|ablaufen|laeuft .* ab|\bdeadline|until when|by when|how long do i have|how much time|in time|\bvalid|validity|expire)`),
			[]knowledge.SectionKind{knowledge.SectionDeadlines},
			re(`(frist|innerhalb|spaetestens|bis zum|` + span + `|gueltig|ablauf|rechtzeitig|deadline|within|at the latest|valid|expire)`)},
		{aspectHours,
			re(`(oeffnungszeit|geoeffnet|wann (hat|ist|sind) .*(offen|auf|geoeffnet)|sprechzeit|sprechstunde|opening (hours|times)|\bopen\b|office hours|when (is|are) .* open)`),
			[]knowledge.SectionKind{knowledge.SectionContact},
			re(`(\buhr\b|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|\b(mo|di|mi|do|fr|sa)\.?\s*[-–:]|\d{1,2}[:.]\d{2}|oeffnungszeit|sprechzeit|geoeffnet|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d\s*(am|pm)\b|opening hours|open)`)},
		{aspectContact,
			re(`(telefon|anrufen|\bruf .* an|e-?mail|kontakt|erreich|ansprechpartner|\b(tele)?phone (number|me|us|them|him|her|the|someone|you)\b|\bby (tele)?phone|\btelephone\b|\bcall\b|contact|\bemail|e-mail|\breach(ed)?\b|get in touch)`),
			[]knowledge.SectionKind{knowledge.SectionContact},
			re(`(telefon|\btel\b|\+49|\b0\d{2,5}[ /-]?\d{3,}|\b11[02]\b|notruf|@|e-?mail|kontakt|wenden sie sich|sich an .* wenden|in verbindung|beratungsstelle|phone|\bfax\b|contact|emergency number|get in touch|turn to|advice cent)`)},
		{aspectPlace,
			re(`(\bwo\b|wohin|bei wem|an wen|` + whoHelps + `|adresse|welche(s|r|m)? (amt|stelle|behoerde|buero)|zustaendig|\bwhere\b|\baddress(es)?\b|which (office|authority|department)|who is responsible|responsible for|to whom)`),
			[]knowledge.SectionKind{knowledge.SectionContact},
			re(`(strasse|str\.|platz\b|\bweg\b|\ballee\b|\d{5}|\braum\b|zimmer|etage|gebaeude|\bamt\b|(bezirks|standes|finanz|sozial|jugend|gesundheits|melde|ordnungs|landrats|zoll|bau|auslaender|kataster|arbeits|versorgungs|umwelt|schul|fund|verkehrs)(amt|aemter|aemtern|amtes)\b|kammer(n)?\b|buero|behoerde|stelle|zustaendig(e[nrs]?)?\b|buergeramt|rathaus|gemeinde|kommune|schule\b|klinik|krankenhaus|arztpraxis|krankenkasse|\bgeschaeft(e|en)?\b|laden|markt|\bportal|\bapp\b|vor ort|beratungsstelle|\bberatung\b|zentrum|landratsamt|jobcenter|\bverein\b|webseite|internetseite|homepage|website|wenden sie sich|street|room|floor|building|office|authority|responsible|town hall|city hall|municipality|school\b|clinic|hospital|doctor.s (office|practice)|insurance compan|stores?\b|shops?\b|market|counsel+ing|advice cent|\bcent(re|er)\b|contact point|online|www\.|https?:)`)},
		{aspectOnline,
			re(`(online|im internet|digital|per post|per e-?mail|persoenlich\b|vor ort|muss ich (hin|vorbei)|in person|by post|by mail|on the internet|do i have to (go|come))`),
			[]knowledge.SectionKind{knowledge.SectionProcedure},
			re(`(online|internet|www\.|https?:|digital|portal|per post|persoenlich|vor ort|in person|by post|post)`)},
		{aspectEligibility,
			re(`(voraussetzung|wer kann|wer darf|darf ich|berechtigt|anspruch|bekomme ich|kann ich .* (bekommen|erhalten|beantragen)|bin ich|fuer wen|zielgruppe|richtet sich|fuer welche (frauen|maenner|menschen|personen|kinder|jugendliche\w*|familien|schueler\w*|eltern|studierende\w*|gruppe\w*|leute|senior\w*)|requirement|prerequisite|precondition|eligib|who can|am i allowed|entitled|qualify|can i (get|apply|receive)|do i need to be|who is|for whom|target group|intended for|aimed at|who (may|should)|for which (people|persons|women|men|children|kids|families|pupils|students|parents|seniors|refugees|young people|groups?)\b)`),
			[]knowledge.SectionKind{knowledge.SectionPrerequisites},
			re(`(voraussetzung|wenn sie|sofern|falls|berechtigt|anspruch|nur\b|muessen|mindestens|\bab \d+|jahre alt|fuer wen|who for|prerequisite|requirement|geeignet|verfuegbar fuer|offen fuer|steht .{0,40}offen|richtet sich an|zielgruppe|teilnehmen|koennen .{0,40}nutzen|jede (betroffene )?person|alle (kinder|jugendlichen|menschen|personen|buerger)|brauch(st du|en sie)|if you|provided|must|eligible|entitled|only|at least|years old|for whom|suitable|available to|open to|aimed at|anyone|everyone|can (use|take part|participate|attend))`)},
		{aspectProcedure,
			re(`(wie beantrage|beantragen|ablauf|antrag stellen|wie geht|wie kann ich|wie muss ich|wie funktioniert|was muss ich (tun|machen)|wie melde|how do i|how can i|how to|how does|\b(i|you|we|one|to|can|do|should|must|and|they) apply\b|\bapply (for|online)\b|\bapplying\b|procedure|steps|process|what do i (have|need) to do)`),
			[]knowledge.SectionKind{knowledge.SectionProcedure},
			re(`(antrag|beantragen|stellen sie|fuellen|termin|zunaechst|danach|anschliessend|schritt|online|persoenlich|wenden|informier|bewirb|bewerb|sprechen sie|rufen sie|melde(n sie|) (dich|sich)|anmelden|registrier|apply|application|appointment|first|then|step|fill in|online|in person|contact|sign up|register|speak to|call\b|get in touch)`)},
	}
	// How many ("Wie viele Beratungsstellen gibt es?") is answered by a
	// sentence with a number; when ("Wann beginnt die Schule?") by one
	// with a date, a day, a month or a time. After the aspects that ask a
	// number or a time of their own (a fee, an age, a deadline, how long,
	// opening hours).
	rules = append(rules,
		aspectRule{aspectCount,
			re(`(wie viele|wie viel\b|anzahl|how many|how much|number of)`),
			nil,
			re(`(\d|\b(zwei|drei|vier|fuenf|sechs|sieben|acht|neun|zehn|elf|zwoelf|zwanzig|dreissig|hundert|tausend|dutzend|mehrere|einige|viele|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand|dozen|several|many)\b)`)},
		aspectRule{aspectWhen,
			re(`(^wann\b|\bwann (beginnt|startet|endet|findet|ist|sind|kann|muss|soll|wird|werden|gibt)|ab wann|seit wann|\bwhen (does|do|is|are|can|must|should|will)|^when\b|what time|which day|from when|since when)`),
			nil,
			re(`(\d{1,2}\.\s?\d{1,2}\.|\d{1,2}\.\s*(januar|februar|maerz|april|mai|juni|juli|august|september|oktober|november|dezember)|\b(januar|februar|maerz|april|mai|juni|juli|august|september|oktober|november|dezember|january|february|march|april|may|june|july|august|september|october|november|december)\b|\b(montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|\buhr\b|\d{1,2}[:.]\d{2}|\b(19|20)\d{2}\b|\b(frueh(jahr|ling)|sommer|herbst|winter|spring|summer|autumn|fall)\b|jaehrlich|jedes jahr|taeglich|woechentlich|monatlich|every (year|week|month|day)|\btermin(e)?\b|datum|\bdates?\b|nach dem ersten|after the first|monthly|yearly|weekly|daily)`)},
	)
	// Any other "how long" ("Wie lange kann ich bleiben?") asks a span of
	// time, answered like how long something takes: by the sentences that
	// name one. Last, after "wie lange habe ich" (a deadline).
	dur := *ruleOf(rules, aspectDuration)
	dur.question = re(`(wie lange|how long)`)
	return append(rules, dur)
}

// aspectHeadings are the headings inside a page's text that name an
// aspect's part of the page ("Opening hours", "Kontakt", "Für wen?",
// "Prerequisites"): the block under one answers the aspect as a typed
// section does. Narrower than the question patterns: a heading
// "Anspruch auf ein Praktikumszeugnis" names a topic, not who is eligible.
var aspectHeadings = map[aspect]pattern{
	aspectFees:        re(`(kosten|gebuehr|preis|entgelt|\bcosts?\b|\bfees?\b|prices?\b|charges)`),
	aspectAge:         re(`(\balter\b|\bages?\b)`),
	aspectDocuments:   re(`(unterlagen|dokumente|nachweise|mitbringen|(brauch|benoetig)(st du|en sie)\s*:?$|documents|what to bring|paperwork|you (will )?need\s*:?$)`),
	aspectDuration:    re(`(dauer|bearbeitungszeit|duration|processing time|how long)`),
	aspectDeadline:    re(`(frist|deadline|time limit)`),
	aspectHours:       re(`(oeffnungszeit|sprechzeit|servicezeit|opening (hours|times)|office hours)`),
	aspectContact:     re(`(kontakt|ansprechpartner|ansprechperson|erreichbarkeit|contact)`),
	aspectPlace:       re(`(adresse|anschrift|standort|\bort\b|zustaendig|address|location|where to go|venue)`),
	aspectOnline:      re(`(online|digital)`),
	aspectEligibility: re(`(voraussetzung|fuer wen|zielgruppe|wer kann|requirement|prerequisite|eligib|who(('s| is) it)? for|for whom|who can)`),
	aspectProcedure:   re(`(\bablauf|so geht|\bverfahren|antragstellung|how to apply|how it works|procedure|steps|process)`),
}

// detectAspect returns what the question asks about, if it names an
// aspect.
func detectAspect(rules []aspectRule, text string) aspect {
	folded := fold(notAge(text))
	for _, o := range aspectFirst {
		if o.question.MatchString(folded) && (o.unless.re == nil || !o.unless.MatchString(folded)) {
			return o.aspect
		}
	}
	for _, r := range rules {
		if r.question.MatchString(folded) {
			return r.aspect
		}
	}
	// "Ich brauche eine Meldebescheinigung": asked for, a service is
	// answered by how to get it.
	if requestOnly(folded) {
		return aspectProcedure
	}
	return aspectNone
}

// notAge drops the words "alter" that do not name an age: in a German
// question written with capitals the noun is "Alter" ("Ab welchem Alter
// …?"), and a lower-case "alter" is the adjective ("Mein alter Diesel darf
// nicht in die Umweltzone": old); in English "alter" is a verb ("Can I
// alter my application?").
func notAge(text string) string {
	if adjectiveOld.MatchString(text) && germanNouns(text) != nil {
		text = adjectiveOld.ReplaceAllString(text, " ")
	}
	return verbAlter.ReplaceAllString(text, " ")
}

var (
	adjectiveOld = regexp.MustCompile(`\balter\b`)
	verbAlter    = regexp.MustCompile(`(?i)\balter\s+(my|the|a|an|your|our|their|his|her|it|this|that|these|those)\b`)
)

// aspectFirst are questions whose wording would match an earlier rule
// than the one they ask: "Wie läuft die Anerkennung ab?" asks the
// procedure, not when something runs out; "Welche Voraussetzungen brauche
// ich?" the requirements, not documents; "Wie kann ich Wohngeld bekommen?"
// how to apply, not whether one may ("Wie bekomme ich einen Auszug aus
// dem Gewerbezentralregister?" likewise; "Bekomme ich Wohngeld?" asks
// whether); "Wie kann ich mich an die Beratungsstelle wenden?" how to
// reach it; "Wie ändere ich die Adresse im Fahrzeugschein?" how to change
// the address, not where an office is — unless it also asks where
// (unless).
var aspectFirst = []struct {
	question pattern
	unless   pattern
	aspect   aspect
}{
	{re(`(wie (laeuft|verlaeuft)\b|wie funktioniert|how does .* work|what is the (procedure|process))`), pattern{}, aspectProcedure},
	{re(`(voraussetzung|requirement|prerequisite|precondition|eligib)`), pattern{}, aspectEligibility},
	{re(`(\b(an|bei) .* wenden\b|kontakt aufnehmen|in kontakt|get in touch|contact)`), pattern{}, aspectContact},
	{re(`^(wie (kann|koennen|muss) (ich|man|wir)|how (can|do|should) (i|we|one)) .*(bekommen|erhalten|\bget\b|receive|obtain)`), pattern{}, aspectProcedure},
	{re(`^wie (bekomme|erhalte|kriege) (ich|wir)\b|^wie (bekommt|erhaelt|kriegt) man\b`), pattern{}, aspectProcedure},
	{re(`((adresse|anschrift|address)\w*\b.{0,40}\b(aender|aktualisier|ummeld|mitteil|berichtig|eintrag|change|update|correct)|\b(aender|aktualisier|berichtig|change|update|correct)\w*\b.{0,40}\b(adresse|anschrift|address)|adressaenderung|anschriftenaenderung|change of address|address change|\bneuen? (adresse|anschrift)|\bnew address)`),
		re(`(\bwo\b|wohin|bei wem|welche(s|r|m)? (amt|stelle|behoerde|buero)|\bwhere\b|which (office|authority))`), aspectProcedure},
}

// pageAspect is the aspect a question asks of one page. A word that asks
// an aspect may name the service itself: "Wie bezahle ich die
// Gewerbesteuer?" over "Gewerbesteuer bezahlen" asks how to pay, not what
// the service costs. Such words (the page's title holds their stems) do
// not ask; the rest of the question decides. concepts are the question's,
// title the stems of the page's title.
//
// Across languages (cross) the title names the aspect in its own language
// ("What are the opening hours of stores?" over "Öffnungszeiten und
// Feiertage"): when the title matches the aspect's question pattern, the
// question's words that match it do not ask — but its question form does:
// "How do I apply for a Blue Card?" over "Blaue Karte EU beantragen" asks
// how, as "Wie beantrage ich eine Blaue Karte?" does; only "apply" is the
// title's word.
func (e *Engine) pageAspect(asked aspect, text string, concepts []knowledge.Concept, title map[string]bool, titleText string, cross bool) aspect {
	rule := ruleOf(e.aspects, asked)
	if rule == nil {
		return asked
	}
	if cross && rule.question.MatchString(fold(titleText)) {
		return detectAspect(e.aspects, rule.question.re.ReplaceAllStringFunc(fold(text), func(m string) string {
			if questionWord.MatchString(m) {
				return m
			}
			return " "
		}))
	}
	var named []string
	for _, c := range concepts {
		if len(c.Own) > 0 && rule.question.MatchString(fold(c.Word)) && !slices.ContainsFunc(c.Own, func(t string) bool { return !title[t] }) {
			named = append(named, c.Word)
		}
	}
	if len(named) == 0 {
		return asked
	}
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' })
	words = slices.DeleteFunc(words, func(w string) bool { return slices.Contains(named, strings.ToLower(w)) })
	return detectAspect(e.aspects, strings.Join(words, " "))
}

// rule returns the rule of an aspect (nil for aspectNone).
func ruleOf(rules []aspectRule, a aspect) *aspectRule {
	for i := range rules {
		if rules[i].aspect == a {
			return &rules[i]
		}
	}
	return nil
}

// answers reports whether a section kind is one that answers the aspect.
func (r *aspectRule) answers(kind knowledge.SectionKind) bool {
	for _, k := range r.sections {
		if k == kind {
			return true
		}
	}
	return false
}

// serviceRequest is a question that asks for a service rather than about
// it: "Ich brauche eine Meldebescheinigung für meinen Arbeitgeber", "I
// need a residents' parking permit". It asks how to get the service
// (detectAspect): what the citizen adds about their case ("für meinen
// Arbeitgeber") is why they need it, not what the page must say.
// A request that also asks something ("Ich will Hunde ausbilden, brauche
// ich dafür eine Erlaubnis?") is a question (askingToo).
var (
	serviceRequest = re(`^(ich (brauche|benoetige|moechte|will|muss)|wir (brauchen|benoetigen|moechten|wollen|muessen)|i (need|want|would like|have to)|we (need|want|would like|have to))\b`)
	askingToo      = re(`(\?|\b(was|wie|wo|wann|welche\w*|warum|wieso|wer|wen|wem|brauche ich|muss ich|kann ich|darf ich|bekomme ich|what|how|where|when|which|why|who|do i|can i|must i|should i|is it)\b)`)
)

// requestOnly reports whether folded text asks for a service and asks
// nothing else.
func requestOnly(folded string) bool {
	return serviceRequest.MatchString(folded) && !askingToo.MatchString(folded)
}
