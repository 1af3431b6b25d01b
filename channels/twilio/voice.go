package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/twiml"

	"github.com/civibot/civibot/conversation"
	"github.com/civibot/civibot/dialog"
)

// callState travels in the action URLs of a call (Twilio signs them with
// the request, so a caller cannot change it): the call needs no session
// store, and any instance can take the next step.
type callState struct {
	lang   string // l: "de" or "en"
	turn   int    // t: numbers the caller's utterances (their client ids)
	miss   int    // m: utterances in a row the bot could not use
	ask    int64  // a: seq of the bot message whose link or choices are offered
	person bool   // p: a person was offered after misunderstandings
}

func parseState(f url.Values) callState {
	s := callState{lang: f.Get("l")}
	s.turn, _ = strconv.Atoi(f.Get("t"))
	s.miss, _ = strconv.Atoi(f.Get("m"))
	s.ask, _ = strconv.ParseInt(f.Get("a"), 10, 64)
	s.person = f.Get("p") == "1"
	s.turn, s.miss = max(s.turn, 0), max(s.miss, 0)
	return s
}

func (s callState) query() url.Values {
	q := url.Values{"l": {s.lang}, "t": {strconv.Itoa(s.turn)}}
	if s.miss > 0 {
		q.Set("m", strconv.Itoa(s.miss))
	}
	if s.ask > 0 {
		q.Set("a", strconv.FormatInt(s.ask, 10))
	}
	if s.person {
		q.Set("p", "1")
	}
	return q
}

// locale is the <Say>/<Gather> language of a conversation language.
func locale(lang string) string {
	if lang == "en" {
		return "en-GB"
	}
	return "de-DE"
}

func (c *Channel) say(lang, text string) twiml.Element {
	voice := c.cfg.Voices.DE
	if lang == "en" {
		voice = c.cfg.Voices.EN
	}
	return twiml.VoiceSay{Message: text, Language: locale(lang), Voice: voice}
}

// gather listens for speech or one key and posts it to action.
func (c *Channel) gather(action, lang, hints string, prompts ...twiml.Element) twiml.Element {
	return twiml.VoiceGather{
		Input: "speech dtmf", Action: action, Method: http.MethodPost, Language: locale(lang),
		SpeechTimeout: "auto", Timeout: "6", NumDigits: "1", ActionOnEmptyResult: "true",
		Hints: hints, InnerElements: prompts,
	}
}

// next listens for the caller's next utterance.
func (c *Channel) next(s callState, prompts ...twiml.Element) twiml.Element {
	hints := "Mitarbeiter, Mitarbeiterin, ja, nein"
	if s.lang == "en" {
		hints = "operator, member of staff, yes, no"
	}
	return c.gather(c.url(PathTurn, s.query()), s.lang, hints, prompts...)
}

func (c *Channel) writeVoice(w http.ResponseWriter, verbs ...twiml.Element) {
	doc, err := twiml.Voice(verbs)
	if err != nil {
		http.Error(w, "cannot build TwiML", http.StatusInternalServerError)
		return
	}
	writeXML(w, doc)
}

// voiceStart answers a call: the AI disclosure and the choice of language,
// in both languages.
func (c *Channel) voiceStart(w http.ResponseWriter, r *http.Request, f url.Values) {
	ctx := r.Context()
	sid := f.Get("CallSid")
	if !validSID(sid) {
		http.Error(w, "CallSid is required", http.StatusBadRequest)
		return
	}
	number, id := c.caller(f.Get("From"), sid)
	de := fmt.Sprintf(textsFor("de").Greeting, c.o.CityName)
	en := fmt.Sprintf(textsFor("en").Greeting, c.o.CityName)
	if _, err := c.open(ctx, dialog.Opening{
		ConversationID: id, Channel: conversation.ChannelVoice, Address: number,
		Greeting: de + "\n\n" + en, GreetingID: "call-" + sid + "-greeting",
	}); err != nil {
		c.log.ErrorContext(ctx, "twilio call: conversation unavailable", "conversation_id", id, "error", err)
		c.writeVoice(w, c.say("de", textsFor("de").Sorry), c.say("en", textsFor("en").Sorry), twiml.VoiceHangup{})
		return
	}
	c.log.InfoContext(ctx, "twilio call started", "conversation_id", id, "withheld_number", number == "")
	c.writeVoice(w,
		c.gather(c.url(PathLanguage, nil), "de", "Deutsch, English, Englisch", c.say("de", de), c.say("en", en)),
	)
}

// voiceLanguage takes the caller's choice of language (1/2 or the word);
// a caller who starts with a question is answered in the default language.
func (c *Channel) voiceLanguage(w http.ResponseWriter, r *http.Request, f url.Values) {
	ctx := r.Context()
	st := parseState(f)
	digits := strings.TrimSpace(f.Get("Digits"))
	words := strings.Fields(normalizeWords(f.Get("SpeechResult")))
	lang := ""
	has := func(ws ...string) bool {
		for _, w := range words {
			for _, x := range ws {
				if w == x {
					return true
				}
			}
		}
		return false
	}
	switch {
	case digits == "1" || len(words) <= 3 && has("deutsch", "german", "eins", "1"):
		lang = "de"
	case digits == "2" || len(words) <= 3 && has("english", "englisch", "zwei", "two", "2"):
		lang = "en"
	case digits == "0":
		st = callState{lang: c.o.DefaultLanguage, turn: 1}
		c.handOff(w, r, f, st, nil)
		return
	case len(words) > 3:
		// A question straight away: answer it.
		c.turn(w, r, f, callState{lang: c.o.DefaultLanguage, turn: 1})
		return
	}
	if lang == "" {
		if st.miss == 0 {
			c.writeVoice(w, c.gather(c.url(PathLanguage, url.Values{"m": {"1"}}), "de", "Deutsch, English, Englisch",
				c.say("de", textsFor("de").ChooseAgain), c.say("en", textsFor("en").ChooseAgain)))
			return
		}
		lang = c.o.DefaultLanguage
	}
	number, id := c.caller(f.Get("From"), f.Get("CallSid"))
	if _, err := c.open(ctx, dialog.Opening{ConversationID: id, Channel: conversation.ChannelVoice, Address: number, Language: lang}); err != nil {
		c.log.WarnContext(ctx, "twilio call: store language failed", "conversation_id", id, "error", err)
	}
	c.writeVoice(w, c.next(callState{lang: lang, turn: 1}, c.say(lang, textsFor(lang).Ask)))
}

// voiceTurn takes what the caller said or pressed.
func (c *Channel) voiceTurn(w http.ResponseWriter, r *http.Request, f url.Values) {
	c.turn(w, r, f, parseState(f))
}

func (c *Channel) turn(w http.ResponseWriter, r *http.Request, f url.Values, st callState) {
	ctx := r.Context()
	st.lang = c.language(st.lang)
	t := textsFor(st.lang)
	sid := f.Get("CallSid")
	number, id := c.caller(f.Get("From"), sid)
	digits := strings.TrimSpace(f.Get("Digits"))
	speech := strings.TrimSpace(f.Get("SpeechResult"))
	in := dialog.Inbound{
		ConversationID: id, Channel: conversation.ChannelVoice, Address: number, Language: st.lang,
		ClientID: fmt.Sprintf("call-%s-%d", sid, st.turn), Style: dialog.StyleSpoken,
	}

	if digits == "0" || st.person && (digits == "1" || isYes(speech)) {
		c.handOff(w, r, f, st, nil)
		return
	}
	if st.ask > 0 && (digits != "" || isYes(speech)) {
		if m, ok := c.offered(ctx, id, st.ask); ok {
			n, _ := strconv.Atoi(digits)
			switch {
			case isClarify(m) && n >= 1 && n <= len(m.QuickReplies):
				in.Text = m.QuickReplies[n-1].Payload
			case link(m) != "" && (digits == "1" || isYes(speech)):
				c.sendLink(w, r, f, st, m)
				return
			}
		}
	}
	if in.Text == "" {
		conf, cerr := strconv.ParseFloat(f.Get("Confidence"), 64)
		switch {
		case digits != "":
			c.miss(w, r, f, st, "unexpected key")
			return
		case speech == "":
			c.miss(w, r, f, st, "silence")
			return
		case cerr == nil && conf < c.cfg.SpeechConfidence:
			c.miss(w, r, f, st, "low speech confidence")
			return
		case st.turn > 1 && isNo(speech):
			c.log.InfoContext(ctx, "twilio call: caller is done", "conversation_id", id)
			c.writeVoice(w, c.say(st.lang, t.Goodbye), twiml.VoiceHangup{})
			return
		}
		in.Text = speech
	}

	out, err := c.o.Service.Handle(ctx, in)
	next := callState{lang: st.lang, turn: st.turn + 1}
	switch {
	case errors.Is(err, dialog.ErrEmptyMessage):
		c.miss(w, r, f, st, "empty")
		return
	case errors.Is(err, dialog.ErrMessageTooLong):
		c.writeVoice(w, c.next(next, c.say(st.lang, t.TooLongSpoken)))
		return
	case err != nil:
		c.log.ErrorContext(ctx, "twilio call turn failed", "conversation_id", id, "error", err)
		c.writeVoice(w, c.say(st.lang, t.Sorry), twiml.VoiceHangup{})
		return
	}
	if out.Queue != nil {
		c.handOff(w, r, f, next, &out)
		return
	}
	if len(out.Replies) == 0 {
		// A caseworker has the conversation: the bot stays silent.
		c.writeVoice(w, c.next(next, c.say(st.lang, t.WithStaff), c.say(st.lang, t.AnythingElse)))
		return
	}
	bot := out.Replies[len(out.Replies)-1]
	lang := c.language(bot.Language)
	rt := textsFor(lang)
	next.lang = lang
	prompts := []twiml.Element{c.say(lang, sayable(bot.Text))}
	if bot.Decision != nil && bot.Decision.Intent == "goodbye" {
		c.writeVoice(w, append(prompts, twiml.VoiceHangup{})...)
		return
	}
	switch {
	case isClarify(bot):
		opts := make([]string, len(bot.QuickReplies))
		for i, q := range bot.QuickReplies {
			opts[i] = fmt.Sprintf(rt.PressFor, i+1, q.Label)
		}
		prompts = append(prompts, c.say(lang, rt.ChooseOptions+" "+strings.Join(opts, ", ")+"."))
		next.ask = bot.Seq
	case link(bot) != "" && number != "" && !out.Conversation.OptedOut:
		prompts = append(prompts, c.say(lang, rt.LinkOffer), c.say(lang, rt.AnythingElse))
		next.ask = bot.Seq
	default:
		prompts = append(prompts, c.say(lang, rt.AnythingElse))
	}
	c.writeVoice(w, c.next(next, prompts...))
}

func isClarify(m conversation.Message) bool {
	return m.Decision != nil && m.Decision.Kind == dialog.KindClarify && len(m.QuickReplies) > 0
}

// offered returns the bot message a choice or link was offered with.
func (c *Channel) offered(ctx context.Context, id string, seq int64) (conversation.Message, bool) {
	msgs, err := c.o.Service.Messages(ctx, id, seq-1)
	if err != nil || len(msgs) == 0 || msgs[0].Seq != seq || msgs[0].Role != conversation.RoleBot {
		return conversation.Message{}, false
	}
	return msgs[0], true
}

// miss handles an utterance the bot cannot use (silence, an unexpected key,
// speech Twilio was unsure of): ask again once, then offer a person, then
// put the caller through.
func (c *Channel) miss(w http.ResponseWriter, r *http.Request, f url.Values, st callState, why string) {
	_, id := c.caller(f.Get("From"), f.Get("CallSid"))
	c.log.InfoContext(r.Context(), "twilio call: not understood", "conversation_id", id, "why", why, "in_a_row", st.miss+1)
	t := textsFor(st.lang)
	next := st
	next.turn++
	next.miss++
	switch next.miss {
	case 1:
		c.writeVoice(w, c.next(next, c.say(st.lang, t.NotUnderstood)))
	case 2:
		next.person = true
		c.writeVoice(w, c.next(next, c.say(st.lang, t.OfferPerson)))
	default:
		c.handOff(w, r, f, next, nil)
	}
}

// sendLink texts the caller the page a spoken answer came from.
func (c *Channel) sendLink(w http.ResponseWriter, r *http.Request, f url.Values, st callState, m conversation.Message) {
	ctx := r.Context()
	sid := f.Get("CallSid")
	_, id := c.caller(f.Get("From"), sid)
	t := textsFor(st.lang)
	next := callState{lang: st.lang, turn: st.turn + 1}
	title := ""
	if len(m.Sources) > 0 {
		title = m.Sources[0].Title
	}
	conv, err := c.o.Service.Conversation(ctx, id)
	if err == nil && (conv.OptedOut || conv.Address == "") {
		err = ErrOptedOut
	}
	if err == nil {
		// A link by SMS counts against the number's daily limit like an
		// SMS answer: calling again and again must not send SMS without end.
		var allowed dialog.Allowance
		if allowed, err = c.takeSMSAnswer(ctx, id); err == nil && allowed != dialog.AnswerAllowed {
			err = errSMSLimit
		}
	}
	if err == nil {
		text := fmt.Sprintf(t.LinkSMSBody, title, link(m))
		var sent conversation.Message
		var dup bool
		sent, dup, err = c.o.Service.Say(ctx, id, conversation.Message{
			ClientID: fmt.Sprintf("call-%s-link-%d", sid, m.Seq), Text: text,
			Language: st.lang, Sources: m.Sources,
		})
		if err == nil && !dup {
			if err = c.Send(ctx, conv, sent); err != nil {
				c.note(ctx, id, fmt.Sprintf("The link (message %d) was not sent by SMS: %v.", sent.Seq, err))
			}
		}
	}
	if err != nil {
		c.log.WarnContext(ctx, "twilio call: link not sent", "conversation_id", id, "error", err)
		c.writeVoice(w, c.next(next, c.say(st.lang, t.LinkFailed), c.say(st.lang, t.AnythingElse)))
		return
	}
	c.writeVoice(w, c.next(next, c.say(st.lang, fmt.Sprintf(t.LinkSent, title)), c.say(st.lang, t.AnythingElse)))
}

// handOff puts the caller through to the caseworker line during office
// hours, or records a callback. out is the dialog's handoff outcome; nil
// means the caller asked for a person (key 0, "yes" to the offer).
func (c *Channel) handOff(w http.ResponseWriter, r *http.Request, f url.Values, st callState, out *dialog.Outcome) {
	ctx := r.Context()
	sid := f.Get("CallSid")
	number, id := c.caller(f.Get("From"), sid)
	lang := c.language(st.lang)
	if out == nil {
		o, err := c.o.Service.RequestPerson(ctx, dialog.Inbound{
			ConversationID: id, Channel: conversation.ChannelVoice, Address: number, Language: lang,
			ClientID: fmt.Sprintf("call-%s-%d-person", sid, st.turn), Style: dialog.StyleSpoken,
		})
		if err != nil {
			c.log.ErrorContext(ctx, "twilio call: handoff request failed", "conversation_id", id, "error", err)
			// The line can still be called even if the desk cannot be reached.
			o = dialog.Outcome{}
		}
		out = &o
	}
	var prompts []twiml.Element
	var nextOpen time.Time
	if out.Queue != nil {
		nextOpen = out.Queue.NextOpen
	}
	if n := len(out.Replies); n > 0 {
		bot := out.Replies[n-1]
		lang = c.language(bot.Language)
		// The engine's reason (an emergency number, "I can't see your file")
		// is said; "I'll put you through" and the queue notice (written for
		// chat) are not: the call says what really happens next.
		if bot.Decision != nil && bot.Decision.Reason != dialog.ReasonButton && bot.Decision.Reason != dialog.ReasonHumanRequest {
			prompts = append(prompts, c.say(lang, sayable(firstParagraph(bot.Text))))
		}
	}
	t := textsFor(lang)
	if c.cfg.CaseworkerLine != "" && c.o.Hours.Open(c.now()) {
		callerID := c.cfg.DialCallerID
		if callerID == "" && e164Re.MatchString(f.Get("To")) {
			callerID = f.Get("To")
		}
		c.log.InfoContext(ctx, "twilio call put through", "conversation_id", id)
		c.writeVoice(w, append(prompts, c.say(lang, t.Connecting), twiml.VoiceDial{
			Number: c.cfg.CaseworkerLine, CallerId: callerID, Method: http.MethodPost,
			Timeout: strconv.Itoa(int(c.cfg.DialTimeout / time.Second)),
			Action:  c.url(PathDial, url.Values{"l": {lang}}),
		})...)
		return
	}
	c.callback(ctx, w, lang, id, number, nextOpen, prompts, "")
}

// callback records that the caller wants to be called back (their number
// and the transcript go to the desk as a ticket) and says goodbye.
func (c *Channel) callback(ctx context.Context, w http.ResponseWriter, lang, id, number string, nextOpen time.Time, prompts []twiml.Element, note string) {
	t := textsFor(lang)
	if number == "" {
		c.log.InfoContext(ctx, "twilio call: no callback possible (number withheld)", "conversation_id", id)
		c.writeVoice(w, append(prompts, c.say(lang, t.CallbackNoNum), twiml.VoiceHangup{})...)
		return
	}
	if err := c.o.Service.Ticket(ctx, id, conversation.Contact{Phone: number, Note: "phone call: callback requested"}); err != nil {
		c.log.ErrorContext(ctx, "twilio call: callback not recorded", "conversation_id", id, "error", err)
		c.writeVoice(w, append(prompts, c.say(lang, t.Sorry), twiml.VoiceHangup{})...)
		return
	}
	if note != "" {
		c.note(ctx, id, note)
	}
	c.log.InfoContext(ctx, "twilio call: callback recorded", "conversation_id", id)
	c.writeVoice(w, append(prompts, c.say(lang, fmt.Sprintf(t.Callback, t.backAt(nextOpen))), twiml.VoiceHangup{})...)
}

// voiceDial learns how putting the call through ended: after a talk, goodbye;
// when nobody answered, a callback.
func (c *Channel) voiceDial(w http.ResponseWriter, r *http.Request, f url.Values) {
	ctx := r.Context()
	lang := c.language(f.Get("l"))
	t := textsFor(lang)
	number, id := c.caller(f.Get("From"), f.Get("CallSid"))
	status := f.Get("DialCallStatus")
	secs, _ := strconv.Atoi(f.Get("DialCallDuration"))
	switch status {
	case "completed", "answered":
		c.log.InfoContext(ctx, "twilio call: talked to staff", "conversation_id", id, "duration_s", secs)
		c.note(ctx, id, fmt.Sprintf("Call put through to the caseworker line (%d s).", secs))
		c.writeVoice(w, c.say(lang, t.Goodbye), twiml.VoiceHangup{})
	default:
		c.log.WarnContext(ctx, "twilio call: caseworker line did not answer", "conversation_id", id, "status", status)
		c.callback(ctx, w, lang, id, number, time.Time{}, []twiml.Element{c.say(lang, t.DialGone)},
			"Call could not be put through to the caseworker line ("+status+"): callback requested.")
	}
}
