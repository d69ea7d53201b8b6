package resp

import (
	"math"
	"strconv"
)

// Writer appends replies to a buffer in RESP2 or RESP3. Types that RESP2
// lacks are written as Redis writes them to RESP2 clients: maps and sets as
// flat arrays, doubles as bulk strings, booleans as integers, null as $-1.
type Writer struct {
	Buf   []byte
	Proto int // 2 or 3
}

// Reset empties the buffer, keeping its capacity.
func (w *Writer) Reset() { w.Buf = w.Buf[:0] }

// Len is the number of buffered bytes.
func (w *Writer) Len() int { return len(w.Buf) }

func (w *Writer) header(c byte, n int64) {
	w.Buf = append(w.Buf, c)
	w.Buf = strconv.AppendInt(w.Buf, n, 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Simple writes +s.
func (w *Writer) Simple(s string) {
	w.Buf = append(w.Buf, '+')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.Buf = append(w.Buf, "+OK\r\n"...) }

// Error writes -msg. msg carries its own code ("ERR ...", "WRONGTYPE ...");
// newlines are replaced by spaces as Redis does.
func (w *Writer) Error(msg string) {
	w.Buf = append(w.Buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.Buf = append(w.Buf, c)
	}
	w.Buf = append(w.Buf, '\r', '\n')
}

// Int writes :n.
func (w *Writer) Int(n int64) {
	if n >= 0 && n < 10 {
		w.Buf = append(w.Buf, ':', byte('0'+n), '\r', '\n')
		return
	}
	w.header(':', n)
}

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.header('$', int64(len(b)))
	w.Buf = append(w.Buf, b...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkInt writes n as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var a [24]byte
	w.Bulk(strconv.AppendInt(a[:0], n, 10))
}

// Null writes the null bulk string ($-1, or _ in RESP3).
func (w *Writer) Null() {
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "$-1\r\n"...)
}

// NullArray writes the null array (*-1, or _ in RESP3).
func (w *Writer) NullArray() {
	if w.Proto >= 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "*-1\r\n"...)
}

// Array writes an array header of n elements.
func (w *Writer) Array(n int) { w.header('*', int64(n)) }

// Map writes a map header of n pairs (an array of 2n in RESP2).
func (w *Writer) Map(n int) {
	if w.Proto >= 3 {
		w.header('%', int64(n))
		return
	}
	w.header('*', int64(2*n))
}

// Set writes a set header (an array in RESP2).
func (w *Writer) Set(n int) {
	if w.Proto >= 3 {
		w.header('~', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Push writes a push header (an array in RESP2).
func (w *Writer) Push(n int) {
	if w.Proto >= 3 {
		w.header('>', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Bool writes a boolean (:1/:0 in RESP2).
func (w *Writer) Bool(b bool) {
	if w.Proto >= 3 {
		if b {
			w.Buf = append(w.Buf, "#t\r\n"...)
		} else {
			w.Buf = append(w.Buf, "#f\r\n"...)
		}
		return
	}
	if b {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Double writes a double: ,x in RESP3, a bulk string in RESP2, formatted
// as Redis does (%.17g, inf, -inf).
func (w *Writer) Double(f float64) {
	var a [32]byte
	b := a[:0]
	if w.Proto >= 3 {
		switch {
		case math.IsInf(f, 1):
			b = append(b, "inf"...)
		case math.IsInf(f, -1):
			b = append(b, "-inf"...)
		case math.IsNaN(f):
			b = append(b, "nan"...)
		default:
			b = FormatDouble(b, f)
		}
		w.Buf = append(w.Buf, ',')
		w.Buf = append(w.Buf, b...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.Bulk(FormatDouble(b, f))
}

// Verbatim writes a verbatim string (a bulk string in RESP2).
func (w *Writer) Verbatim(format, s string) {
	if w.Proto >= 3 {
		w.header('=', int64(len(s)+4))
		w.Buf = append(w.Buf, format...)
		w.Buf = append(w.Buf, ':')
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Raw appends already encoded bytes.
func (w *Writer) Raw(b []byte) { w.Buf = append(w.Buf, b...) }

// FormatDouble formats f like Redis's %.17g for replies (addReplyDouble):
// "inf", "-inf", and integers without exponent where %.17g gives none.
func FormatDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return AppendG17(dst, f)
}

// AppendG17 appends f formatted as C's printf("%.17g").
func AppendG17(dst []byte, f float64) []byte {
	return appendG(dst, f, 17)
}

// appendG implements C's %.<prec>g: exponent form when the exponent is
// < -4 or >= prec, trailing zeros removed, exponent with at least 2 digits.
func appendG(dst []byte, f float64, prec int) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	e := strconv.AppendFloat(nil, f, 'e', prec-1, 64)
	// e looks like [-]d.ddddde[+-]XX
	epos := 0
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			epos = i
			break
		}
	}
	exp, _ := strconv.Atoi(string(e[epos+1:]))
	if exp < -4 || exp >= prec {
		mant := trimZeros(e[:epos])
		dst = append(dst, mant...)
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	fixed := strconv.AppendFloat(nil, f, 'f', prec-1-exp, 64)
	return append(dst, trimZeros(fixed)...)
}

func trimZeros(b []byte) []byte {
	dot := -1
	for i, c := range b {
		if c == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return b
	}
	end := len(b)
	for end > dot+1 && b[end-1] == '0' {
		end--
	}
	if end == dot+1 {
		end = dot
	}
	return b[:end]
}
