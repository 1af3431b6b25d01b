package dialog

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// pattern is a regular expression with a cheap gate: the literals one of
// which every match must contain. Most messages contain none of them, and
// strings.Contains is far cheaper than running the expression (Go's regexp
// has no literal prefilter for alternations of words).
type pattern struct {
	re   *regexp.Regexp
	gate []string // nil: no gate, always run re
}

func newPattern(expr string) pattern {
	p := pattern{re: regexp.MustCompile(expr)}
	if tree, err := syntax.Parse(expr, syntax.Perl); err == nil {
		if lits, ok := requiredLiterals(tree.Simplify()); ok {
			p.gate = lits
		}
	}
	return p
}

// MatchString reports whether s matches; s must be folded like the pattern.
func (p pattern) MatchString(s string) bool {
	if p.gate != nil {
		found := false
		for _, l := range p.gate {
			if strings.Contains(s, l) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return p.re.MatchString(s)
}

// requiredLiterals returns literals one of which every match of r contains,
// and false when there is no such set (r can match without any literal).
func requiredLiterals(r *syntax.Regexp) ([]string, bool) {
	lits, _, ok := literals(r)
	return lits, ok
}

// maxGate caps the size of a literal set built by combining parts.
const maxGate = 256

// literals returns the required literals of r; exact reports that r
// matches exactly one of them and nothing else (so adjacent exact parts can
// be joined: the parser turns "hallo|hi" into "h(?:allo|i)").
func literals(r *syntax.Regexp) (lits []string, exact, ok bool) {
	switch r.Op {
	case syntax.OpLiteral:
		if r.Flags&syntax.FoldCase != 0 {
			return nil, false, false
		}
		return []string{string(r.Rune)}, true, true
	case syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		return []string{""}, true, true
	case syntax.OpCapture:
		return literals(r.Sub[0])
	case syntax.OpPlus:
		l, _, ok := literals(r.Sub[0])
		return l, false, ok
	case syntax.OpRepeat:
		if r.Min >= 1 {
			l, _, ok := literals(r.Sub[0])
			return l, false, ok
		}
		return nil, false, false
	case syntax.OpConcat:
		var best []string
		bestLen := -1
		consider := func(l []string) {
			if len(l) == 0 {
				return
			}
			shortest := len(l[0])
			for _, x := range l {
				shortest = min(shortest, len(x))
			}
			if shortest > bestLen {
				best, bestLen = l, shortest
			}
		}
		run := []string{""} // the cross product of the current run of exact parts
		allExact := true
		for _, sub := range r.Sub {
			l, ex, ok := literals(sub)
			switch {
			case ok && ex && len(run)*len(l) <= maxGate:
				var next []string
				for _, a := range run {
					for _, b := range l {
						next = append(next, a+b)
					}
				}
				run = next
			default:
				allExact = false
				consider(run)
				run = []string{""}
				if ok {
					consider(l)
					if ex {
						run = l
					}
				}
			}
		}
		consider(run)
		if bestLen <= 0 {
			return nil, false, false
		}
		return best, allExact, true
	case syntax.OpAlternate:
		var all []string
		exact := true
		for _, sub := range r.Sub {
			l, ex, ok := literals(sub)
			if !ok {
				return nil, false, false
			}
			exact = exact && ex
			all = append(all, l...)
		}
		for _, l := range all {
			if l == "" {
				return nil, false, false // an empty alternative: no literal is required
			}
		}
		return all, exact, true
	}
	return nil, false, false
}
