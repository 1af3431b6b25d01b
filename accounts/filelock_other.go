//go:build !unix

package accounts

// lockFile is a no-op where flock is not available: only one process
// should write the accounts file at a time there.
func lockFile(path string) (func(), error) { return func() {}, nil }
