package codec

import "math"

// maxIntStrLen is the longest decimal Redis tries as an integer: 20 bytes
// holds "-9223372036854775808" (lpStringToInt64 gives up at 21).
const maxIntStrLen = 20

// CanonicalInt reports whether s is the canonical decimal form of an
// int64, as Redis's string2ll decides when it packs a string as an
// integer: no sign other than a leading '-', no leading zeros, no spaces,
// no "-0", in range. Storing such strings as integers is lossless because
// formatting the value gives s back. It never allocates.
func CanonicalInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > maxIntStrLen {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
		if len(s) == 0 {
			return 0, false
		}
	}
	if s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if u > (math.MaxUint64-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}
