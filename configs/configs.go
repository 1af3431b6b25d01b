// Package configs holds civibot's example configuration file, embedded so
// that `civibot config example` prints the version the binary was built
// with.
package configs

import _ "embed"

//go:embed civibot.example.yaml
var example string

// Example returns configs/civibot.example.yaml: every option with its
// default and a comment.
func Example() string { return example }
