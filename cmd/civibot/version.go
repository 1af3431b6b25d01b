package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// printVersion writes what `civibot --version` says: the module version,
// the commit and its time, whether the tree was modified, and the Go
// version — from the build information Go embeds in the binary.
func printVersion(w io.Writer) {
	version, commit, when, dirty, goVersion := "(devel)", "", "", false, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	fmt.Fprintf(w, "civibot %s", version)
	if commit != "" {
		fmt.Fprintf(w, " commit %s", commit)
		if when != "" {
			fmt.Fprintf(w, " (%s)", when)
		}
		if dirty {
			fmt.Fprint(w, " modified")
		}
	}
	if goVersion != "" {
		fmt.Fprintf(w, " %s", goVersion)
	}
	fmt.Fprintln(w)
}
