package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/replikube/replikube/internal/redis/resp"
)

// ParseInt is Redis's string2ll: a strict decimal int64.
func ParseInt(b []byte) (int64, bool) { return resp.ParseInt(b) }

// IntArg parses an integer argument, replying ErrNotInteger on failure.
func (c *Client) IntArg(b []byte) (int64, bool) {
	v, ok := resp.ParseInt(b)
	if !ok {
		c.Error(ErrNotInteger)
	}
	return v, ok
}

// ParseFloat parses a double as Redis's getDoubleFromObject: strtod
// syntax, "inf"/"-inf" accepted, NaN and leading spaces refused.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 5000 {
		return 0, false
	}
	if b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r' || b[0] == '\v' || b[0] == '\f' {
		return 0, false
	}
	s := string(b)
	switch strings.ToLower(s) {
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	}
	if strings.ContainsAny(s, "_") || strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "-0x") || strings.HasPrefix(s, "+0x") ||
		strings.HasPrefix(s, "0X") || strings.HasPrefix(s, "-0X") || strings.HasPrefix(s, "+0X") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			// strtod returns +-HUGE_VAL with ERANGE; Redis refuses it.
			return 0, false
		}
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// FloatArg parses a float argument, replying ErrNotFloat on failure.
func (c *Client) FloatArg(b []byte) (float64, bool) {
	v, ok := ParseFloat(b)
	if !ok {
		c.Error(ErrNotFloat)
	}
	return v, ok
}

// EqualFold compares an argument with a lower-case keyword.
func EqualFold(b []byte, kw string) bool {
	if len(b) != len(kw) {
		return false
	}
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != kw[i] {
			return false
		}
	}
	return true
}

// Clone copies b (values stored in the keyspace must not alias the read
// buffer).
func Clone(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}
