package dialog

import (
	"strings"

	"github.com/civibot/civibot/conversation"
)

// intent is what a message is, before any retrieval.
type intent string

const (
	intentQuestion     intent = "question"
	intentEmergency    intent = "emergency"
	intentDistress     intent = "distress"
	intentInjection    intent = "prompt_injection"
	intentHuman        intent = "human_request"
	intentCaseSpecific intent = "case_specific"
	intentGreeting     intent = "greeting"
	intentThanks       intent = "thanks"
	intentGoodbye      intent = "goodbye"
	intentCapabilities intent = "capabilities"
	intentOffTopic     intent = "out_of_scope"
)

// intentRules are checked in order; the first match wins. Patterns run on
// the lower-cased message, German and English together (citizens mix).
type intentRule struct {
	intent   intent
	patterns []pattern
}

// intentMatcher holds the compiled rules; build it once with newIntentMatcher.
type intentMatcher struct {
	rules      []intentRule
	greeting   pattern
	caseNoun   pattern
	caseStatus pattern
	caseOwner  pattern
	caseID     pattern
	caseStrong pattern
	smallTalk  map[string]intent
}

func re(s string) pattern { return newPattern(s) }

// Word groups the intent patterns share (folded text, see fold).
const (
	// staff names a person a citizen may ask for.
	staff = `(menschen|mensch|mitarbeiter\w*|sachbearbeiter\w*|person|ansprechpartner\w*)`
	// myHomework is the citizen's own homework ("meine Mathe-Hausaufgaben",
	// "my homework").
	myHomework = `(meine[nmr]?|my)\s+([\w-]+\s+)?([\w-]*hausaufgabe\w*|homework|schulaufgabe\w*)`
)

func newIntentMatcher() *intentMatcher {
	// Patterns are written for folded text (see fold): lower case, umlauts
	// and ß spelled out (ä → ae, ß → ss), so RE2's ASCII \b works.
	return &intentMatcher{
		rules: []intentRule{
			{intentEmergency, []pattern{
				re(`\b(es brennt|brennt|feuer ausgebrochen|notarzt|krankenwagen|rettungswagen|bewusstlos|herzinfarkt|schlaganfall|atemnot|bekomme keine luft|blutet stark|ertrinkt|gasgeruch|riecht nach gas|einbrecher|bricht (gerade )?ein|ueberfallen|ueberfall|angegriffen|messer|waffe|pistole|gestuerzt|hingefallen|kann nicht (mehr )?aufstehen)\b`),
				re(`\b(es ist ein|ich habe einen|wir haben einen|medizinischer) notfall\b|^notfall\W*$`),
				re(`\b(on fire|there'?s a fire|there is a fire|fire in (my|the|our) (house|flat|apartment|building|home)|ambulance|unconscious|heart attack|having a stroke|can'?t breathe|cannot breathe|bleeding (heavily|badly)|drowning|smell gas|gas leak|breaking in(to)?|broke in(to)?|burglar|intruder|mugged|robbed|attacked|knife|gun|weapon|fell (down|over)?\s*and can'?t get up|can'?t get up)\b`),
				re(`\b(it'?s an|this is an|i have an|medical) emergency\b|^emergency\W*$`),
				re(`\b(kind|tochter|sohn|vater|mutter|mann|frau|oma|opa|nachbar\w*|child|son|daughter|mother|father|husband|wife|neighbou?r|grandmother|grandfather)\b[^.?!]{0,50}\b(verschwunden|vermisst|missing|disappeared)\b`),
				re(`\b(seit tagen nicht (mehr )?gesehen|riecht (so )?komisch|haven'?t seen [^.?!]{0,30} for days|strange smell)\b`),
			}},
			{intentDistress, []pattern{
				re(`\b(werde|wird|wurde|werden|bin|ist|sind|fuehle mich)\b[^.?!]{0,40}\b(bedroht|geschlagen|missbraucht)\b`),
				re(`\b(bedroht mich|bedrohen mich|droht mir|drohen mir|schlaegt mich|schlagen mich|verpruegelt|misshandelt|vergewaltigt|erpresst|haeusliche gewalt|gewalt gegen mich|umbringen|bringe mich um|suizid|selbstmord|nicht mehr leben|will sterben|mir (etwas|was) antun|tue mir (etwas|was) an|(mir )?das leben (zu )?nehmen|nicht mehr leben (will|moechte)|mich (selbst )?verletzen|stalkt mich|verfolgt mich|angst um mein leben)\b`),
				re(`\b(threaten(s|ed|ing)?( to hurt)? me|threatening to|being threatened|hits me|beats me|beat me up|abus(es|ed|ing) me|being abused|domestic violence|violent (partner|husband|wife|boyfriend|girlfriend|father|mother)|raped|blackmail(ed|ing)?|kill myself|hurt myself|harm myself|self-harm|suicid(e|al)|want to die|end(ing)? my life|(don'?t|do not) want to (live|be alive)|hurting me|stalk(s|ing)? me|following me|afraid for my life|hurts me|sleeping (on the street|rough)|homeless tonight|kicked (me )?out|evicted today|nowhere to sleep)\b`),
				// Homelessness is distress when it is tonight's need or all the
				// citizen says ("ich bin obdachlos"), like "homeless tonight";
				// "Ich bin obdachlos und brauche einen Ausweis" asks for a
				// service the city's pages answer (a provisional ID card).
				re(`\b(auf der strasse (schlafen|leben)|keine unterkunft|nirgends (zu )?schlafen|rausgeworfen|zwangsgeraeumt|(keinen|ohne) schlafplatz|kein dach ueber dem kopf)\b`),
				re(`\b(obdachlos|wohnungslos)\b[^.?!]{0,40}\b(heute|heute nacht|diese nacht|seit gestern|jetzt|gerade)\b|\b(heute|ab heute|seit heute|seit gestern|jetzt|gerade)\b[^.?!]{0,30}\b(obdachlos|wohnungslos)\b`),
				re(`^\W*((ich )?bin|wir sind)\s+(jetzt\s+|seit \w+( \w+)?\s+)?(obdachlos|wohnungslos)\W*$`),
				re(`^\W*(i am|i'?m|we are|we'?re)\s+(now\s+)?homeless\W*$|\b(became|become) homeless (today|tonight|yesterday)\b`),
			}},
			{intentInjection, []pattern{
				re(`\bignor\w*\s+(\w+\s+){0,3}(anweisungen|instruktionen|regeln|vorgaben|instructions|rules|prompts?|guidelines)\b`),
				re(`\b(vergiss|forget)\b[^.?!]{0,30}\b(anweisungen|regeln|instructions|rules|everything|alles|dass du|that you)\b`),
				re(`\b(system ?prompt|jailbreak|developer mode|entwicklermodus|dan mode|do anything now)\b`),
				re(`\b(you are now|du bist (jetzt|ab jetzt|nun)|pretend (you are|to be|that|the)|tu so,? als (ob )?(du|waerst)|act as (an? )?(unrestricted|evil|different))\b`),
				re(`\b(ab jetzt|von nun an|from now on)\b[^.?!]{0,30}\b(antwortest|antworte|answer|reply|respond|sagst|say)\b`),
				re(`\b(reveal|show|print|repeat|zeig\w*|gib|wiederhole)\b[^.?!]{0,20}\b(your|deine[nm]?|everything above|alles (was )?oben|all (stored|saved)|alle gespeicherten)\b`),
				re(`^\s*[\[<(]?/?(system|assistant|admin|developer)\b`),
				re(`\b(disregard|override|bypass|umgehe|missachte)\b[^.?!]{0,30}\b(guidelines|instructions|rules|anweisungen|regeln|vorgaben|restrictions)\b|\b(system override|systemanweisung|neue anweisung|new instructions?|admin-?modus|admin mode)\b`),
				re(`\b(wiederhole|repeat)\b[^.?!]{0,30}\b(text|nachricht|words|message|prompt)\b[^.?!]{0,30}\b(ueber|oben|above|before)\b`),
			}},
			{intentOffTopic, []pattern{
				// Requests to write or entertain: what a general chatbot is
				// asked, never a city service.
				re(`\b(schreib|schreibe|dichte|verfass\w*)\b[^.?!]{0,20}\b(gedicht|lied|songtext|geschichte|maerchen|aufsatz|hausarbeit|rede|witz|liebesbrief)\b`),
				re(`\b(gedicht|lied|songtext|geschichte|maerchen|aufsatz|hausarbeit|liebesbrief)\b[^.?!]{0,40}\b(schreiben|dichten|verfassen)\b`),
				re(`\b(write|compose)\b[^.?!]{0,20}\b(poem|song|lyrics|story|essay|haiku|limerick|joke|love letter|speech)\b`),
				re(`\b(erzaehl|erzaehle|sag)\b[^.?!]{0,15}\b(witz|flachwitz|geschichte)\b|\b(tell|give)\b[^.?!]{0,10}\b(a joke|me a joke|something funny|a story)\b`),
				// Homework the bot is asked to do or help with ("kannst du
				// meine Hausaufgaben machen", "help me with my homework");
				// not homework as part of a service ("Gibt es Hausaufgaben
				// beim gebundenen Ganztag?", "Wer hilft bei den Hausaufgaben?").
				re(`\b(hilf mir|hilfst du mir|kannst du|koenntest du|mach|mache|loes|loese|help me|can you|could you|will you|do|solve|finish)\b[^.?!]{0,25}\b` + myHomework + `\b`),
				re(`\b` + myHomework + `\b[^.?!]{0,25}\b(machen|loesen|erledigen|schreiben|for me|fuer mich)\b`),
			}},
			{intentHuman, []pattern{
				// A person named with an article is asked for when the
				// citizen wants to talk, to be put through or to have one:
				// "mit einem Menschen sprechen", "ich brauche einen echten
				// Ansprechpartner". Without that, the person is the subject
				// of a question ("Welche Fähigkeiten hat eine Person mit
				// Stufe C1?", "Was geschieht, wenn eine Person mit Duldung
				// krank wird?").
				re(`\b(mit|einen?|einem|eine[rm]?|echte[nmr]?|richtige[nmr]?)\s+(echten\s+|richtigen\s+)?` + staff + `\b[^.?!]{0,40}\b(sprechen|reden|telefonieren|chatten|schreiben|verbinden|verbunden)\b`),
				re(`\b(sprechen|reden|telefonieren|chatten|verbinden|verbunden)\b[^.?!]{0,30}\b(mit|einen?|einem|eine[rm]?)\s+(echten\s+|richtigen\s+)?` + staff + `\b`),
				re(`\b(ich|wir)\s+(brauche|brauchen|moechte|moechten|will|wollen|haette gerne?|haetten gerne?|wuensche|wuenschen|suche|suchen|verlange|verlangen)\s+(bitte\s+|jetzt\s+|sofort\s+)?(einen?|eine[nm]?)\s+(echten\s+|richtigen\s+|menschlichen\s+)?` + staff + `(\s+bitte|\s+sprechen)?\s*([.!,]|$)`),
				re(`^((einen?|eine[nm]?)\s+)?((echte|richtige|menschliche)[nrms]?\s+)?` + staff + `(\s+bitte\b|\W*$)`),
				re(`\b(jemand\w*)\b[^.?!]{0,30}\b(sprechen|reden|anrufen|telefonieren|verbinden|fragen|zurueckrufen)\b`),
				re(`\b(verbinden|weiterleiten|durchstellen)\b[^.?!]{0,30}\b(mitarbeiter\w*|person|mensch\w*|sachbearbeiter\w*)\b`),
				re(`\b(rueckruf|ruft mich[^.?!]{0,20}an|mich[^.?!]{0,20}zurueckrufen)\b`),
				re(`\b(rede|spreche|schreibe) nicht mit (robotern|maschinen|bots?|einer ki|computern)\b|\b(don'?t|do not|won'?t) (talk|speak|chat) (to|with) (an? |the )?(robots?|machines?|bots?|ai|computers?)\b`),
				re(`\b(nicht (mit )?(der|einer|dieser) maschine|kein(en)? bot|nicht (mit )?(einem|dem) (chat)?bot|kein(en)? chatbot|keine ki)\b`),
				re(`\b(talk|speak|chat)\s+(to|with)\s+(a |an |some |the )?(real |actual |human |live )?(human|person|someone|somebody|agent|operator|staff|representative|employee|caseworker|clerk)\b`),
				re(`\b(connect|transfer|put)\s+me\s+(through\s+)?(to|with)\b`),
				re(`\b(get|give|find)\s+me\s+(a|an|some|someone|somebody)\b[^.?!]{0,20}\b(person|human|agent|employee|caseworker|staff|real)\b`),
				re(`\b(need|want|like)\s+(a|an|to talk to a|to speak to a)\s+(real\s+)?(person|human|employee|caseworker|agent|staff member|member of staff|representative)\b`),
				re(`\b(call|ring|phone)\s+me\s+back\b|\b(someone|somebody)\b[^.?!]{0,30}\b(call|ring|phone)\s+me\b`),
				re(`\b(real person|human being|live agent|human agent|customer service agent|not a (bot|machine)|no (bot|machine))\b`),
				re(`^(human|operator|agent|person|representative)(,?\s+please)?\W*$`),
			}},
		},
		greeting:   re(`^(hallo|halloechen|hi|hey|moin( moin)?|servus|gruess gott|grueezi|guten (morgen|tag|abend)|hello|hiya|good (morning|afternoon|evening)|greetings)\b[\s,.!]*`),
		caseNoun:   re(`(antrag|antraege|bescheid|vorgang|akte|verfahren|widerspruch|mahnung|rechnung|unterlagen|dokumente|formular|brief|schreiben|application|case|file|claim|appeal|notice|decision|letter|documents|form|fine|request|ticket)`),
		caseStatus: re(`\b(stand|status|abgelehnt|ablehnung|bearbeitet|bearbeitung|falsch|fehlerhaft|warum|wieso|weshalb|noch nicht|immer noch|noch keine|dauert|erhalten|angekommen|eingegangen|fertig|rejected|denied|declined|refused|processed|processing|wrong|incorrect|why|still|yet|not received|received|arrived|ready|taking so long|liegt|wann kommt|wann bekomme|when will|when do i get)\b`),
		caseOwner:  re(`\b(mein|meine|meinen|meinem|meiner|meines|unser|unsere|unseren|unserem|my|our|ich habe|i have|i got|i sent|i applied|ich war|i was)\b`),
		caseID:     re(`\b(aktenzeichen|antragsnummer|vorgangsnummer|kundennummer|kassenzeichen|geschaeftszeichen|reference number|case number|application number|file number)\b|\b(antrag|vorgang|bescheid|application|case|reference|ref|az)\.?\s*(nr\.?|nummer|number|no\.?|#|:)?\s*[\w-]*\d{2,}`),
		caseStrong: re(`\b(mein|meine|meinen|my|our)\b[^.?!]{0,40}\b(abgelehnt|rejected|denied|refused)\b|\b(doppelt|zweimal|twice|double)\b[^.?!]{0,20}\b(abgebucht|bezahlt|berechnet|charged|paid|billed)\b|\b(charged|billed)\b[^.?!]{0,30}\b(twice|double)\b|\b(ich war (das|es) nicht|i was ?n'?o?t (even )?(there|in town|driving)|wasn'?t (me|even))\b|\b(frau|herr)\s+\w+\s+(vom|von der|aus dem)\b|\b(bescheid|mahnung|rechnung|strafzettel|knoellchen|bussgeld\w*|fine|ticket|bill|letter|notice)\b[^.?!]{0,30}\b(bekommen|erhalten|got|received)\b[^.?!]{0,10}\b(aber|obwohl|but|although|though)\b|\b(mein(e|en)? sachbearbeiter\w*|my caseworker|my case worker|my case officer)\b|\bwo bleib(t|en) (mein|meine)\b|\b(did|have) you (receive|get|got)\b|\b(sind|ist) (meine|mein)\b[^.?!]{0,40}\b(angekommen|eingegangen)\b|\bwhere is my\b[^.?!]{0,30}\b(application|money|payment|card|passport|licen[cs]e|decision|permit)\b`),
		smallTalk: map[string]intent{
			"danke": intentThanks, "danke schoen": intentThanks, "dankeschoen": intentThanks, "vielen dank": intentThanks,
			"super danke": intentThanks, "danke sehr": intentThanks, "perfekt danke": intentThanks, "ok danke": intentThanks,
			"thanks": intentThanks, "thank you": intentThanks, "thx": intentThanks, "many thanks": intentThanks,
			"thanks a lot": intentThanks, "great thanks": intentThanks, "ok thanks": intentThanks, "cheers": intentThanks,
			"tschuess": intentGoodbye, "tschues": intentGoodbye, "auf wiedersehen": intentGoodbye, "ciao": intentGoodbye,
			"bis dann": intentGoodbye, "bye": intentGoodbye, "goodbye": intentGoodbye, "bye bye": intentGoodbye, "see you": intentGoodbye,
			"was kannst du": intentCapabilities, "was kannst du alles": intentCapabilities, "wer bist du": intentCapabilities,
			"hilfe": intentCapabilities, "help": intentCapabilities, "what can you do": intentCapabilities,
			"who are you": intentCapabilities, "bist du ein mensch": intentCapabilities, "bist du ein bot": intentCapabilities,
			"are you a bot": intentCapabilities, "are you human": intentCapabilities, "are you a human": intentCapabilities,
			"wie funktioniert das": intentCapabilities, "how does this work": intentCapabilities,
		},
	}
}

// fold lower-cases text and spells out umlauts, ß and common accents, so
// the intent patterns can use RE2's ASCII word boundaries.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'ä':
			b.WriteString("ae")
		case 'ö':
			b.WriteString("oe")
		case 'ü':
			b.WriteString("ue")
		case 'ß':
			b.WriteString("ss")
		case 'é', 'è', 'ê':
			b.WriteByte('e')
		case 'á', 'à', 'â':
			b.WriteByte('a')
		case '’', '`', '´':
			b.WriteByte('\'')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// classify returns the message's intent and, for questions, the text to
// search with (a leading greeting removed).
func (m *intentMatcher) classify(text string) (intent, string) {
	folded := fold(strings.TrimSpace(text))
	for _, r := range m.rules {
		for _, p := range r.patterns {
			if p.MatchString(folded) {
				return r.intent, text
			}
		}
	}
	if m.isCaseSpecific(folded) {
		return intentCaseSpecific, text
	}
	if it, ok := m.smallTalk[conversation.NormalizeQuestion(strings.Trim(folded, "!.,?:; "))]; ok {
		return it, text
	}
	if m.greeting.MatchString(folded) {
		rest := stripGreeting(text)
		if rest == "" {
			return intentGreeting, text
		}
		if it, ok := m.smallTalk[conversation.NormalizeQuestion(strings.Trim(fold(rest), "!.,?:; "))]; ok {
			return it, rest
		}
		return intentQuestion, rest
	}
	return intentQuestion, text
}

// stripGreeting removes the leading greeting word(s) from the original text.
func stripGreeting(text string) string {
	fields := strings.Fields(text)
	n := 1
	if len(fields) > 1 {
		first := fold(strings.Trim(fields[0], ",.!"))
		second := fold(strings.Trim(fields[1], ",.!"))
		if (first == "guten" || first == "good" || first == "gruess" || first == "moin") && !strings.ContainsAny(fields[0], ",.!") {
			switch second {
			case "morgen", "tag", "abend", "morning", "afternoon", "evening", "gott", "moin":
				n = 2
			}
		}
	}
	if n > len(fields) {
		return ""
	}
	return strings.TrimLeft(strings.Join(fields[n:], " "), " ,.!")
}

// isCaseSpecific: a question about the citizen's own file — an identifier,
// a strong sign (my … was rejected, charged twice, a named official), or
// "my <application/notice/…>" together with a status word.
func (m *intentMatcher) isCaseSpecific(folded string) bool {
	if m.caseID.MatchString(folded) || m.caseStrong.MatchString(folded) {
		return true
	}
	return m.caseOwner.MatchString(folded) && m.caseNoun.MatchString(folded) && m.caseStatus.MatchString(folded)
}
