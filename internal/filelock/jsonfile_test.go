package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

type counter struct {
	N int `json:"n"`
}

// TestJSONFile: two handles on one file (serve and a command beside it)
// see each other's writes; a failing change writes nothing; a damaged file
// is a clear error; in memory only nothing touches the disk.
func TestJSONFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.json")
	empty := func() counter { return counter{} }
	a, b := &JSONFile[counter]{Path: path, Empty: empty}, &JSONFile[counter]{Path: path, Empty: empty}
	if v, err := a.Get(); err != nil || v.N != 0 {
		t.Fatalf("missing file: %v %v", v, err)
	}
	inc := func(c *counter) error { c.N++; return nil }
	for _, f := range []*JSONFile[counter]{a, b, a} {
		if err := f.Update(inc); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := b.Get(); err != nil || v.N != 3 {
		t.Errorf("after three updates from two handles: %v %v", v, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v %v", st, err)
	}
	boom := errors.New("boom")
	if err := a.Update(func(c *counter) error { c.N = 99; return boom }); !errors.Is(err, boom) {
		t.Errorf("failing change: %v", err)
	}
	if v, _ := a.Get(); v.N != 3 {
		t.Errorf("a failing change was kept: %v", v)
	}
	if v, _ := b.Get(); v.N != 3 {
		t.Errorf("a failing change was written: %v", v)
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(); err == nil {
		t.Error("a damaged file read without an error")
	}

	mem := &JSONFile[counter]{Empty: empty}
	if err := mem.Update(inc); err != nil {
		t.Fatal(err)
	}
	if v, _ := mem.Get(); v.N != 1 {
		t.Errorf("in memory: %v", v)
	}
}
