package knowledge

import "strings"

// action is what a title word says is done with a service: the first
// thing ("beantragen", "anmelden", "apply") or a later one ("verlängern",
// "Verlust melden", "renew").
type action int8

const (
	actionNone action = iota
	actionFirst
	actionLater
)

// actionOf classifies a folded word by the start of it (the word lists
// actions_first.txt and actions_later.txt); a later action wins, so
// "neuerteilung" is not the "erteilung" of a first licence.
func actionOf(folded string) action {
	t := tables()
	for _, p := range t.laterActions {
		if strings.HasPrefix(folded, p) {
			return actionLater
		}
	}
	for _, p := range t.firstActions {
		if strings.HasPrefix(folded, p) {
			return actionFirst
		}
	}
	return actionNone
}

// ownAction says what the words of page a's title that sibling title sb
// lacks are: actionFirst when they are all first actions ("beantragen"
// against "verlängern"), actionLater when one of them is a later action,
// actionNone otherwise (they name something besides an action).
func (kb *KB) ownAction(a int, sb map[uint32]bool) action {
	n, first := 0, 0
	for _, w := range kb.titleWords[a] {
		if sb[w[0]] || kb.everywhere(w[0]) {
			continue
		}
		n++
		switch kb.titleActions[w[0]] {
		case actionLater:
			return actionLater
		case actionFirst:
			first++
		}
	}
	if n > 0 && first == n {
		return actionFirst
	}
	return actionNone
}
