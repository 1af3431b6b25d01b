package clientaddr

import "testing"

func TestKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"203.0.113.9:4711", "203.0.113.9"},
		{"203.0.113.9", "203.0.113.9"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::7", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:80", "fe80::/64"},
		{"[::ffff:203.0.113.9]:80", "203.0.113.9"},
		{"garbage", "garbage"},
	}
	for _, tt := range tests {
		if got := Key(tt.addr); got != tt.want {
			t.Errorf("Key(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
