package codec

import (
	"encoding/binary"
	"strconv"
)

// entryWalker checks a listpack or ziplist entry by entry, calling fn
// (when not nil) for each entry as it goes.
type entryWalker func(b []byte, fn func(s []byte, v int64, isInt bool) error) error

// validateThenEach walks b once to validate it and once more to call fn,
// so fn never sees part of a corrupt blob.
func validateThenEach(walk entryWalker, b []byte, fn func(s []byte, v int64, isInt bool) error) error {
	if err := walk(b, nil); err != nil || fn == nil {
		return err
	}
	return walk(b, fn)
}

// collectStrings returns the entries of b as byte strings, integers
// rendered in decimal; countAt is the offset of the uint16 count field,
// headerSize the bytes before the first entry.
func collectStrings(walk entryWalker, b []byte, countAt, headerSize int) ([][]byte, error) {
	if err := walk(b, nil); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint16(b[countAt:]))
	// Every entry takes at least two bytes, which bounds an unknown count.
	out := make([][]byte, 0, min(n, (len(b)-headerSize)/2))
	var digits []byte
	err := walk(b, func(s []byte, v int64, isInt bool) error {
		if isInt {
			start := len(digits)
			digits = strconv.AppendInt(digits, v, 10)
			// Earlier entries keep the old array if append moves it.
			s = digits[start:len(digits):len(digits)]
		}
		out = append(out, s)
		return nil
	})
	return out, err
}
