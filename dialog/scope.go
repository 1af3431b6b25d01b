package dialog

// Questions outside the city's services. A citizen who asks the city's
// assistant about the weather, a match, a recipe or a poem gets a short
// scope reply with what it can help with and a person offered, not a
// caseworker's time (see Engine.scope).
//
// Two signals, both only when the search found no page it is sure of
// (confidence below the answer threshold), so that "Sportplatz mieten" or
// "where can I buy a parking ticket" is still answered from its page:
//
//   - the question belongs to a kind a general chatbot is asked (weather,
//     sport results, food and shopping tips, entertainment, general
//     knowledge, arithmetic, translation, coding, chit-chat) — scopeCues;
//   - no page matched at all (outOfScope).
//
// Words unknown to the city's pages are not a signal: in-scope questions
// hold compounds, typos and words of the other language just as often.

// scopeCues are written for folded text (see fold), by kind of question
// rather than by example.
var scopeCues = []pattern{
	// Weather.
	re(`\b(wetter\w*|wettervorhersage|regnet|regnen|schneit|schneien|gewitter|sonne scheint|scheint (morgen |heute |am \w+ )?die sonne|wie (warm|kalt|heiss) (wird|ist) es|temperatur(en)? (morgen|heute|am)|weather|forecast|will it (rain|snow)|is it (going to )?(rain|snow)|umbrella|how (hot|cold|warm) (will|is) it)\b`),
	// Sport results and events.
	re(`\b(fussball\w*|bundesliga|champions league|meisterschaft|deutsche[rn]? meister|wer wird .{0,30}meister|(auf|ab)steig(en|t)|who will win|europameister\w*|weltmeister\w*|wm|em|tabellenf\w+|torschuetz\w*|wer hat (gestern |heute |das spiel |am \w+ )?(gewonnen|gespielt)|wie hat \w+ (gestern |heute |am \w+ )?gespielt|football|soccer|premier league|world cup|who won|score of the (match|game)|footballer|basketball|tennis|formel 1|formula (1|one))\b`),
	// Food, restaurants, shopping and buying advice.
	re(`\b((koch|back)?rezepte? (fuer|for)|recipe\w*|wie (koche|backe|brate) ich|how (do i|to) (cook|bake)|restaurant\w*|pizzeria|pizza|doener|currywurst|burger|beste[nr]? (essen|kneipe|bar|club|cafe)|sneakers?|bitcoin|krypto\w*|aktien?|stock market|shares|welche[ns]? \w+ soll ich (mir )?kaufen|what .{0,20}should i buy|best \w+ (for|to buy))\b`),
	// Entertainment.
	re(`\b(witz\w*|flachwitz|lustig\w*|joke|funny|kino|film|filme|movie|movies|serie|netflix|fernsehprogramm|tv show|buch empfehl\w*|recommend a (good )?(book|film|movie|song|series)|lied|song|songtext|gedicht\w*|poem|haiku|limerick|story|geschichte erzaehl\w*|(den|einen|diesen) roman|novels?|night ?clubs?|disco|disko|diskothek|techno|rave|party (tonight|heute)|feiern gehen)\b`),
	// Health and household advice for oneself: remedies, ailments, fixing
	// things at home (the city's health office or repair café pages are
	// still answered when the search is sure of them).
	re(`\b(was hilft gegen|hausmittel|home remed\w*|get rid of (a|my|the) (cold|cough|headache|flu)|erkaeltung|schnupfen|kopfschmerz\w*|halsschmerz\w*|headache|sore throat|hangover|how (do i|to|can i) (fix|repair|mend|unclog)|wie (repariere|flicke|reinige) ich)\b`),
	// General knowledge and school.
	re(`\b(hauptstadt|capital of|einwohner hat (china|indien|frankreich|deutschland|\w+land)|how many (moons|planets|stars)|wie (hoch|gross|weit|alt) ist (der|die|das) (berg|mond|sonne|erde|fernsehturm|eiffelturm|\w+turm)|entfernt von der erde|tallest|highest mountain|who (painted|invented|discovered|wrote)|wer hat (die|den|das) \w+ (erfunden|entdeckt|gemalt|geschrieben)|relativitaetstheorie|how do (airplanes|planes|computers|engines) work|how do (airplanes|planes) fly|wie funktioniert ein (motor|verbrennungsmotor|flugzeug|computer)|(hilf|helfen|help|mach|machen|do)\b.{0,25}\b(hausaufgabe\w*|\w*hausaufgabe\w*|homework)|wurzel aus|square root|\d+ (mal|plus|minus|geteilt durch|times|divided by) \d+|\d+ ?(prozent|percent|%) (von|of) \d+)\b`),
	// Tasks for a general assistant: translating, summarising, coding,
	// writing letters.
	re(`\b(uebersetze|uebersetz mir|translate (this|the word|the sentence|['"]|\w+ (into|to) \w+)|fass(e|t)? .{0,60}zusammen|zusammenfassung (von|des|der)|summari[sz]e|python|javascript|programmier\w*|code (that|to|for)|write (some )?code|cover letter|bewerbungsschreiben|anschreiben fuer)\b`),
	// Chit-chat about the assistant or life.
	re(`\b(bist du verliebt|sinn des lebens|meaning of life|lieblings\w+|favou?rite (colou?r|food|film|movie|song|animal)|wie alt bist du|how old are you|hast du (gefuehle|einen freund|eine freundin)|do you have (feelings|a (boy|girl)friend))\b`),
}

// adminIntent marks a question about a permit, a licence, a registration
// or a fee: a matter for the city whatever it concerns ("What do I need to
// open a restaurant?", "Brauche ich eine Erlaubnis für einen Burger-Stand?",
// "Genehmigung für ein Fußballturnier im Park").
var adminIntent = re(`\b(genehmigung\w*|erlaubnis\w*|konzession\w*|anmeld\w*|anmeldung|beantrag\w*|antrag\w*|eroeffn\w*|gewerbe\w*|lizenz\w*|gebuehr\w*|behoerde\w*|amt|permits?|licen[cs]e[sd]?|registe?r\w*|apply|application|(open|start)(ing)? an? \w+|authorit(y|ies)|fees?)\b`)

// scopeCue reports whether the question looks like one a general chatbot is
// asked rather than a city.
func scopeCue(question string) bool {
	folded := fold(question)
	if adminIntent.MatchString(folded) {
		return false
	}
	for _, p := range scopeCues {
		if p.MatchString(folded) {
			return true
		}
	}
	return false
}
