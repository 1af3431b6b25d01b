package main

import (
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		code, out, _ := runCmd(t, nil, "", arg)
		if code != 0 || !strings.HasPrefix(out, "civibot ") || !strings.Contains(out, "go1.") {
			t.Errorf("%s: exit %d, %q", arg, code, out)
		}
	}
}
