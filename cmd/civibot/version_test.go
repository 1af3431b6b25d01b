package main

import (
	"net"
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

// TestServePortInUse: the error says what to do (issue 20.3).
func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errOut := runCmd(t, map[string]string{"CIVIBOT_LOG_LEVEL": "error"}, "", "serve", "--addr", ln.Addr().String(), "--set", "security.data_dir="+t.TempDir())
	if code != 1 || !strings.Contains(errOut, "address already in use") || !strings.Contains(errOut, "choose another with --addr") {
		t.Errorf("serve on a used port: exit %d, %q", code, errOut)
	}
}
