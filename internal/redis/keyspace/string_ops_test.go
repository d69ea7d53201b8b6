package keyspace

import "testing"

func TestStringOps(t *testing.T) {
	cases := []struct {
		name string
		do   func() *String
		want string
		enc  string
	}{
		{"int", func() *String { return NewString([]byte("12")) }, "12", "int"},
		{"setint from raw", func() *String {
			s := &String{B: []byte("xx"), Raw: true}
			s.SetInt(-42)
			return s
		}, "-42", "int"},
		{"setint from noint", func() *String {
			s := &String{B: []byte("3000"), NoInt: true}
			s.SetInt(3001)
			return s
		}, "3001", "int"},
		{"noint", func() *String { return &String{B: []byte("3000"), NoInt: true} }, "3000", "embstr"},
		{"noint long", func() *String { return &String{B: make([]byte, 45), NoInt: true} }, string(make([]byte, 45)), "raw"},
		{"new int", func() *String { return NewIntString(-9223372036854775808) }, "-9223372036854775808", "int"},
		{"append", func() *String {
			s := NewString([]byte("12"))
			s.Append([]byte("3"))
			return s
		}, "123", "raw"},
		{"append nothing", func() *String {
			s := NewString([]byte("ab"))
			s.Append(nil)
			return s
		}, "ab", "raw"},
		{"writeat grows", func() *String {
			s := NewString([]byte("ab"))
			s.WriteAt(3, []byte("cd"))
			return s
		}, "ab\x00cd", "raw"},
		{"writeat inside", func() *String {
			s := NewString([]byte("abcd"))
			s.WriteAt(1, []byte("X"))
			return s
		}, "aXcd", "raw"},
		{"growzero", func() *String {
			s := NewString([]byte("7"))
			if !s.GrowZero(3) || s.GrowZero(2) {
				t.Error("GrowZero reported wrongly")
			}
			return s
		}, "7\x00\x00", "embstr"},
		{"clone keeps noint", func() *String {
			return (&String{B: []byte("5"), NoInt: true}).Clone().(*String)
		}, "5", "embstr"},
	}
	for _, tc := range cases {
		s := tc.do()
		if string(s.B) != tc.want || s.Encoding() != tc.enc {
			t.Errorf("%s: %q %s, want %q %s", tc.name, s.B, s.Encoding(), tc.want, tc.enc)
		}
	}
}

// SetInt reuses its buffer: counters do not allocate per increment.
func TestSetIntNoAlloc(t *testing.T) {
	s := NewIntString(1)
	v := int64(1)
	if n := testing.AllocsPerRun(100, func() { v = v*3 + 1; s.SetInt(v) }); n != 0 {
		t.Errorf("SetInt allocates %v", n)
	}
}
