package command

import "strconv"

// ScanOpts are the options shared by SCAN, HSCAN, SSCAN and ZSCAN.
type ScanOpts struct {
	Match []byte // nil: match everything
	Count int    // elements per call hint, default 10
	Type  string // SCAN TYPE filter, lower case; "" for none
}

// parseCursor parses a SCAN cursor as Redis does with strtoul: optional
// sign ("-1" wraps to 2^64-1), empty means 0, no leading space, no
// trailing bytes, no overflow.
func parseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	neg := false
	switch b[0] {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return 0, false
	case '-':
		neg = true
		b = b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseScanArgs parses "cursor [MATCH pattern] [COUNT count] [TYPE type]"
// starting at args[first] (the cursor). TYPE is accepted only when
// allowType. It replies the error itself and returns ok=false on failure,
// with Redis's texts.
func (c *Client) parseScanArgs(args [][]byte, first int, allowType bool) (cursor uint64, o ScanOpts, ok bool) {
	cursor, ok = parseCursor(args[first])
	if !ok {
		c.Error(ErrCursor)
		return 0, o, false
	}
	o.Count = 10
	for i := first + 1; i < len(args); i += 2 {
		more := i+1 < len(args)
		switch {
		case EqualFold(args[i], "count") && more:
			n, ok := ParseInt(args[i+1])
			if !ok {
				c.Error(ErrNotInteger)
				return 0, o, false
			}
			if n < 1 {
				c.Error(ErrSyntax)
				return 0, o, false
			}
			o.Count = int(min(n, 1<<30))
		case EqualFold(args[i], "match") && more:
			o.Match = args[i+1]
			if len(o.Match) == 1 && o.Match[0] == '*' {
				o.Match = nil
			}
		case EqualFold(args[i], "type") && more && allowType:
			o.Type = string(lowerBytes(args[i+1]))
		default:
			c.Error(ErrSyntax)
			return 0, o, false
		}
	}
	return cursor, o, true
}

func lowerBytes(b []byte) []byte {
	out := make([]byte, len(b))
	for i, ch := range b {
		out[i] = lower(ch)
	}
	return out
}

// scanReply writes the two-element SCAN reply: the next cursor as a bulk
// string and the elements.
func (c *Client) scanReply(next uint64, elems [][]byte) {
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.Array(len(elems))
	for _, e := range elems {
		c.W.Bulk(e)
	}
}
