package command

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/replikube/replikube/internal/redis/keyspace"
)

// SORT and SORT_RO over lists, sets and sorted sets (any value that is a
// keyspace.ElementLister), with BY and GET patterns reading string keys
// and hash fields.

func init() {
	register(func(e *Engine) {
		acl := []string{"set", "sortedset", "list", "dangerous"}
		e.Table.Add(
			&Command{Name: "sort", Arity: -2, Flags: Write | DenyOOM, Keys: KeySpec{1, 1, 1}, KeysFunc: sortKeys, ACL: acl, Group: "generic", Since: "1.0.0", Summary: "Sort the elements in a list, set or sorted set", Handler: cmdSort},
			&Command{Name: "sort_ro", Arity: -2, Flags: ReadOnly, Keys: KeySpec{1, 1, 1}, KeysFunc: func([][]byte) []int { return []int{1} }, ACL: acl, Group: "generic", Since: "7.0.0", Summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", Handler: cmdSortRO},
		)
	})
}

const errSortScore = "ERR One or more scores can't be converted into double"

// sortKeys finds SORT's keys: the sorted key and the last STORE target,
// skipping the arguments of LIMIT, GET and BY (Redis's sortGetKeys).
func sortKeys(args [][]byte) []int {
	keys := []int{1}
	store := 0
	for i := 2; i < len(args); i++ {
		switch {
		case EqualFold(args[i], "limit"):
			i += 2
		case EqualFold(args[i], "get"), EqualFold(args[i], "by"):
			i++
		case EqualFold(args[i], "store") && i+1 < len(args):
			store = i + 1
			i++
		}
	}
	if store > 0 {
		keys = append(keys, store)
	}
	return keys
}

type sortSpec struct {
	desc, alpha  bool
	dontSort     bool
	start, count int64
	by           []byte
	gets         [][]byte
	store        []byte
}

// parseSort reads SORT's options; it replies the error itself.
func parseSort(c *Client, args [][]byte, readonly bool) (sortSpec, bool) {
	s := sortSpec{count: -1}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case EqualFold(a, "asc"):
			s.desc = false
		case EqualFold(a, "desc"):
			s.desc = true
		case EqualFold(a, "alpha"):
			s.alpha = true
		case EqualFold(a, "limit") && left >= 2:
			var ok bool
			if s.start, ok = c.IntArg(args[j+1]); !ok {
				return s, false
			}
			if s.count, ok = c.IntArg(args[j+2]); !ok {
				return s, false
			}
			j += 2
		case !readonly && EqualFold(a, "store") && left >= 1:
			s.store = args[j+1]
			j++
		case EqualFold(a, "by") && left >= 1:
			s.by = args[j+1]
			// A BY pattern without '*' names no per-element key: the
			// elements keep their natural order, even if a later BY has
			// a pattern (Redis never clears the flag).
			s.dontSort = s.dontSort || bytes.IndexByte(s.by, '*') < 0
			j++
		case EqualFold(a, "get") && left >= 1:
			s.gets = append(s.gets, args[j+1])
			j++
		default:
			c.Error(ErrSyntax)
			return s, false
		}
	}
	return s, true
}

func cmdSort(c *Client, args [][]byte)   { sortGeneric(c, args, false) }
func cmdSortRO(c *Client, args [][]byte) { sortGeneric(c, args, true) }

type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // ALPHA BY: the value compared, nil when the key is missing
}

func sortGeneric(c *Client, args [][]byte, readonly bool) {
	s, ok := parseSort(c, args, readonly)
	if !ok {
		return
	}
	var e *keyspace.KeyEntry
	if s.store == nil {
		e = c.DB.LookupRead(args[1])
	} else {
		e = c.DB.LookupWrite(args[1])
	}
	kind := keyspace.KindList // a missing key sorts as an empty list
	var elems [][]byte
	if e != nil {
		kind = e.Val.Val.Kind()
		lister, isLister := e.Val.Val.(keyspace.ElementLister)
		if !isLister || (kind != keyspace.KindList && kind != keyspace.KindSet && kind != keyspace.KindZSet) {
			c.Error(ErrWrongType)
			return
		}
		if z, ok := e.Val.Val.(*keyspace.ZSet); ok {
			// Redis converts a listpack sorted set to a skiplist for good
			// before sorting it (OBJECT ENCODING shows it afterwards);
			// growing with no room is that conversion.
			z.Grow(0, 0, 0)
		}
		elems = lister.Elements()
	}
	if s.dontSort && kind == keyspace.KindSet && s.store != nil {
		// Stored results must not depend on the set's iteration order,
		// which replicas need not share.
		s.dontSort, s.alpha, s.by = false, true, nil
	}

	n := int64(len(elems))
	start := min(max(s.start, 0), n)
	count := min(max(s.count, -1), n)
	end := n - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)

	var items []sortItem
	if s.dontSort && kind != keyspace.KindSet {
		// Natural order (reversed for DESC), LIMIT applied directly.
		if end >= start {
			items = make([]sortItem, 0, end-start+1)
			for i := start; i <= end; i++ {
				j := i
				if s.desc {
					j = n - 1 - i
				}
				items = append(items, sortItem{elem: elems[j]})
			}
		}
		start, end = 0, int64(len(items))-1
	} else {
		items = make([]sortItem, len(elems))
		for i, el := range elems {
			items[i].elem = el
		}
	}

	convErr := false
	if !s.dontSort {
		var scratch []byte
		for i := range items {
			it := &items[i]
			val := it.elem
			if s.by != nil {
				var found bool
				val, found = sortLookup(c, s.by, it.elem, &scratch)
				if !found {
					continue
				}
			}
			if s.alpha {
				if s.by != nil {
					it.cmp = val
					if it.cmp == nil {
						it.cmp = []byte{}
					}
				}
				continue
			}
			f, ok := parseSortScore(val)
			if !ok {
				convErr = true
			}
			it.score = f
		}
		sortItems(items, s)
	}

	var picked []sortItem
	if end >= start {
		picked = items[start : end+1]
	}
	outLen := int64(len(picked))
	if len(s.gets) > 0 {
		outLen *= int64(len(s.gets))
	}
	switch {
	case convErr:
		c.Error(errSortScore)
	case s.store == nil:
		c.W.Array(int(outLen))
		sortEmit(c, s, picked, func(v []byte, found bool) {
			if found {
				c.W.Bulk(v)
			} else {
				c.W.Null()
			}
		})
	default:
		out := make([][]byte, 0, outLen)
		sortEmit(c, s, picked, func(v []byte, _ bool) { out = append(out, Clone(v)) })
		if len(out) > 0 {
			c.DB.Set(s.store, keyspace.NewListOf(out), false)
			c.Modified(s.store)
			c.AddDirty(int64(len(out)) - 1)
		} else if c.DB.Delete(s.store) {
			c.Modified(s.store)
		}
		c.W.Int(outLen)
	}
}

// sortEmit produces the output values of items: the element itself, or
// one value per GET pattern (found false for a missing one).
func sortEmit(c *Client, s sortSpec, items []sortItem, emit func(v []byte, found bool)) {
	var scratch []byte
	for _, it := range items {
		if len(s.gets) == 0 {
			emit(it.elem, true)
			continue
		}
		for _, pat := range s.gets {
			emit(sortLookup(c, pat, it.elem, &scratch))
		}
	}
}

// sortItems orders items as Redis's sortCompare: numeric by score with
// ties broken by the elements' bytes, or ALPHA by the BY values (missing
// first) or the elements. The sort is stable like the glibc qsort Redis
// runs on.
func sortItems(items []sortItem, s sortSpec) {
	cmp := func(a, b *sortItem) int {
		switch {
		case !s.alpha:
			if a.score != b.score {
				if a.score > b.score {
					return 1
				}
				return -1
			}
			return bytes.Compare(a.elem, b.elem)
		case s.by != nil:
			switch {
			case a.cmp == nil && b.cmp == nil:
				return 0
			case a.cmp == nil:
				return -1
			case b.cmp == nil:
				return 1
			}
			return bytes.Compare(a.cmp, b.cmp)
		}
		return bytes.Compare(a.elem, b.elem)
	}
	sort.SliceStable(items, func(i, j int) bool {
		r := cmp(&items[i], &items[j])
		if s.desc {
			return r > 0
		}
		return r < 0
	})
}

// sortLookup resolves a BY or GET pattern for element subst, as Redis's
// lookupKeyByPattern: "#" is the element itself; the first '*' is replaced
// by the element to form a key name, whose string value is the result; a
// "->field" suffix reads that field of a hash instead. A pattern without
// '*' gives nothing. scratch is reused for the key name.
func sortLookup(c *Client, pat, subst []byte, scratch *[]byte) ([]byte, bool) {
	if len(pat) == 1 && pat[0] == '#' {
		return subst, true
	}
	star := bytes.IndexByte(pat, '*')
	if star < 0 {
		return nil, false
	}
	postfix := pat[star+1:]
	var field []byte
	if f := bytes.Index(postfix, []byte("->")); f >= 0 && f+2 < len(postfix) {
		field = postfix[f+2:]
		postfix = postfix[:f]
	}
	key := append(append(append((*scratch)[:0], pat[:star]...), subst...), postfix...)
	*scratch = key
	e := c.DB.LookupRead(key)
	if e == nil {
		return nil, false
	}
	v := e.Val.Val
	if field == nil {
		if s, ok := v.(*keyspace.String); ok {
			return s.B, true
		}
		return nil, false
	}
	if v.Kind() != keyspace.KindHash {
		return nil, false
	}
	if h, ok := v.(keyspace.FieldGetter); ok {
		return h.GetField(field)
	}
	return nil, false
}

// parseSortScore converts a value to a double as SORT does with strtod:
// leading white space and hexadecimal are accepted, the empty string is 0,
// and trailing garbage, NaN, overflow and underflow (ERANGE, which glibc
// also reports for subnormal results) are errors. Like C, the value ends
// at a NUL byte.
func parseSortScore(b []byte) (float64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return 0, true
	}
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	if s == "" || strings.ContainsRune(s, '_') {
		return 0, false
	}
	mant := strings.TrimLeft(s, "+-")
	hex := len(mant) > 1 && mant[0] == '0' && (mant[1] == 'x' || mant[1] == 'X')
	if hex {
		mant = mant[2:]
		if !strings.ContainsAny(mant, "pP") {
			s += "p0"
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	if math.IsInf(f, 0) {
		return f, true // "inf" itself; overflow was an error above
	}
	if f != 0 && math.Abs(f) < 0x1p-1022 {
		return 0, false
	}
	if f == 0 {
		// Zero from non-zero digits: the value underflowed.
		exp, digits := "eE", "123456789"
		if hex {
			exp, digits = "pP", "123456789abcdefABCDEF"
		}
		if i := strings.IndexAny(mant, exp); i >= 0 {
			mant = mant[:i]
		}
		if strings.ContainsAny(mant, digits) {
			return 0, false
		}
	}
	return f, true
}
