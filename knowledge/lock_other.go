//go:build !unix

package knowledge

import (
	"errors"
	"fmt"
	"os"
)

// lockDir takes an exclusive lock by creating path; a crashed ingest leaves
// it behind and it must be removed by hand.
func lockDir(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("another ingest is running on this knowledge base (remove %s if none is)", path)
		}
		return nil, err
	}
	return func() {
		f.Close()
		os.Remove(path)
	}, nil
}
