package aof

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/replikube/replikube/internal/redis/resp"
)

// File types in a manifest.
const (
	TypeBase    byte = 'b'
	TypeHistory byte = 'h'
	TypeIncr    byte = 'i'
)

// File is one line of a manifest.
type File struct {
	Name string
	Seq  int64
	Type byte // TypeBase, TypeIncr or TypeHistory
}

// Manifest lists the files of an AOF. CurBaseSeq and CurIncrSeq are the
// sequence numbers of the newest base and incr file ever named, so that new
// names never reuse an old one.
type Manifest struct {
	Base       *File
	Incrs      []File
	History    []File
	CurBaseSeq int64
	CurIncrSeq int64
}

// Naming, as in Redis's aof.c.
const (
	baseSuffix     = ".base"
	incrSuffix     = ".incr"
	rdbFormat      = ".rdb"
	aofFormat      = ".aof"
	manifestSuffix = ".manifest"
	tempPrefix     = "temp-"
)

// ManifestName is the manifest's file name: appendonly.aof.manifest.
func ManifestName(fileName string) string { return fileName + manifestSuffix }

// TempManifestName is the name the manifest is written under before the
// rename: temp-appendonly.aof.manifest.
func TempManifestName(fileName string) string { return tempPrefix + fileName + manifestSuffix }

// BaseName is the name of base number seq: appendonly.aof.2.base.rdb when
// the base is an RDB (aof-use-rdb-preamble yes), appendonly.aof.2.base.aof
// otherwise.
func BaseName(fileName string, seq int64, rdb bool) string {
	format := aofFormat
	if rdb {
		format = rdbFormat
	}
	return fileName + "." + strconv.FormatInt(seq, 10) + baseSuffix + format
}

// IncrName is the name of incr file number seq: appendonly.aof.3.incr.aof.
func IncrName(fileName string, seq int64) string {
	return fileName + "." + strconv.FormatInt(seq, 10) + incrSuffix + aofFormat
}

// Redis's texts for manifest errors (aofLoadManifestFromFile).
const (
	msgEmptyManifest  = "Found an empty AOF manifest"
	msgTooLongLine    = "The AOF manifest file contains too long line"
	msgInvalidFormat  = "Invalid AOF manifest file format"
	msgNotBaseName    = "File can't be a path, just a filename"
	msgDuplicateBase  = "Found duplicate base file information"
	msgNonMonotonic   = "Found a non-monotonic sequence number"
	msgUnknownType    = "Unknown AOF file type"
	manifestMaxLine   = 1024 // MANIFEST_MAX_LINE
	manifestKeyFile   = "file"
	manifestKeySeq    = "seq"
	manifestKeyType   = "type"
	manifestFieldsMin = 6
)

// ErrManifest is matched by every *ManifestError.
var ErrManifest = errors.New("aof: invalid manifest")

// ManifestError is a manifest Redis would refuse to start with. Msg is
// Redis's text; Line (1-based) and Text say where, when Redis says it too.
type ManifestError struct {
	Line int
	Text string
	Msg  string
}

func (e *ManifestError) Error() string {
	if e.Line == 0 {
		return "aof: manifest: " + e.Msg
	}
	return fmt.Sprintf("aof: manifest line %d %q: %s", e.Line, e.Text, e.Msg)
}

// Is makes errors.Is(err, ErrManifest) true.
func (e *ManifestError) Is(target error) bool { return target == ErrManifest }

// ParseManifest parses a manifest with the rules of Redis 7.0's
// aofLoadManifestFromFile: lines are read as fgets does with a 1025-byte
// buffer (so a line must end in '\n' and hold at most 1024 bytes), lines
// starting with '#' are comments, a line is split like sdssplitargs into an
// even number (at least 6) of case-insensitive key/value pairs of which
// "file", "seq" and "type" are required and others ignored, seq is read like
// atoll, type is the first byte of its value, at most one base is allowed and
// incr sequence numbers must increase. An empty input is refused; a manifest
// of comments only is a valid manifest with no files.
func ParseManifest(data []byte) (*Manifest, error) {
	m := &Manifest{}
	var maxSeq int64
	linenum := 0
	for pos := 0; ; {
		if pos >= len(data) {
			if linenum == 0 {
				return nil, &ManifestError{Msg: msgEmptyManifest}
			}
			return m, nil
		}
		end := min(pos+manifestMaxLine, len(data))
		if i := bytes.IndexByte(data[pos:end], '\n'); i >= 0 {
			end = pos + i + 1
		}
		buf := data[pos:end]
		pos = end
		linenum++
		if buf[0] == '#' {
			continue
		}
		buf = cString(buf)
		if bytes.IndexByte(buf, '\n') < 0 {
			return nil, &ManifestError{Msg: msgTooLongLine}
		}
		line := bytes.Trim(buf, " \t\r\n")
		fail := func(msg string) (*Manifest, error) {
			return nil, &ManifestError{Line: linenum, Text: string(line), Msg: msg}
		}
		if len(line) == 0 {
			return fail(msgInvalidFormat)
		}
		argv, err := resp.SplitArgs(line, nil)
		if err != nil || len(argv) < manifestFieldsMin || len(argv)%2 != 0 {
			return fail(msgInvalidFormat)
		}
		var f File
		hasName := false
		for i := 0; i < len(argv); i += 2 {
			key, val := cString(argv[i]), cString(argv[i+1])
			switch {
			case bytes.EqualFold(key, []byte(manifestKeyFile)):
				f.Name, hasName = string(val), true
				if !isBaseName(f.Name) {
					return fail(msgNotBaseName)
				}
			case bytes.EqualFold(key, []byte(manifestKeySeq)):
				f.Seq = atoll(val)
			case bytes.EqualFold(key, []byte(manifestKeyType)):
				f.Type = 0
				if len(val) > 0 {
					f.Type = val[0]
				}
			}
		}
		if !hasName || f.Seq == 0 || f.Type == 0 {
			return fail(msgInvalidFormat)
		}
		switch f.Type {
		case TypeBase:
			if m.Base != nil {
				return fail(msgDuplicateBase)
			}
			m.Base = &f
			m.CurBaseSeq = f.Seq
		case TypeHistory:
			m.History = append(m.History, f)
		case TypeIncr:
			if f.Seq <= maxSeq {
				return fail(msgNonMonotonic)
			}
			m.Incrs = append(m.Incrs, f)
			m.CurIncrSeq = f.Seq
			maxSeq = f.Seq
		default:
			return fail(msgUnknownType)
		}
	}
}

// cString cuts b at its first NUL, as C string functions see it.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// isBaseName is Redis's pathIsBaseName: no '/' and no '\'.
func isBaseName(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == '\\' {
			return false
		}
	}
	return true
}

// atoll reads like C's atoll (glibc strtoll): leading white space, a sign,
// then digits up to the first other byte; saturates on overflow.
func atoll(b []byte) int64 {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var v uint64
	const limit = 1 << 63
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if v > limit/10 {
			v = limit
			continue
		}
		v = min(v*10+uint64(b[i]-'0'), limit)
	}
	if neg {
		if v >= limit {
			return -1 << 63
		}
		return -int64(v)
	}
	if v >= limit {
		return 1<<63 - 1
	}
	return int64(v)
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// Marshal renders the manifest as Redis writes it (getAofManifestAsString):
// base, then history, then incr files, one "file <name> seq <n> type <t>"
// line each, the name quoted like sdscatrepr when it holds spaces, quotes or
// unprintable bytes.
func (m *Manifest) Marshal() []byte {
	var b []byte
	if m.Base != nil {
		b = appendFileLine(b, *m.Base)
	}
	for _, f := range m.History {
		b = appendFileLine(b, f)
	}
	for _, f := range m.Incrs {
		b = appendFileLine(b, f)
	}
	return b
}

func appendFileLine(b []byte, f File) []byte {
	b = append(b, manifestKeyFile+" "...)
	if needsRepr(f.Name) {
		b = appendRepr(b, f.Name)
	} else {
		b = append(b, f.Name...)
	}
	b = append(b, " "+manifestKeySeq+" "...)
	b = strconv.AppendInt(b, f.Seq, 10)
	b = append(b, " "+manifestKeyType+" "...)
	return append(b, f.Type, '\n')
}

func isPrint(c byte) bool { return c >= 0x20 && c <= 0x7e }

// needsRepr is Redis's sdsneedsrepr, plus the empty name and a single
// quote, which Redis would write so that its own parser misreads them.
func needsRepr(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c == '"' || c == '\'' || c == '\a' || c == '\b' || !isPrint(c) || isCSpace(c) {
			return true
		}
	}
	return false
}

// appendRepr is Redis's sdscatrepr: a double-quoted string that
// sdssplitargs reads back as s.
func appendRepr(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if isPrint(c) {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
			}
		}
	}
	return append(b, '"')
}

// Clone returns a deep copy.
func (m *Manifest) Clone() *Manifest {
	c := &Manifest{
		Incrs:      append([]File(nil), m.Incrs...),
		History:    append([]File(nil), m.History...),
		CurBaseSeq: m.CurBaseSeq,
		CurIncrSeq: m.CurIncrSeq,
	}
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	return c
}

// Empty reports whether the manifest names neither a base nor an incr file:
// there is nothing to load.
func (m *Manifest) Empty() bool { return m.Base == nil && len(m.Incrs) == 0 }

// Files lists what is loaded, in order: the base, then the incr files.
func (m *Manifest) Files() []File {
	var fs []File
	if m.Base != nil {
		fs = append(fs, *m.Base)
	}
	return append(fs, m.Incrs...)
}

// addIncr names a new incr file after every name used so far.
func (m *Manifest) addIncr(fileName string) File {
	m.CurIncrSeq++
	f := File{Name: IncrName(fileName, m.CurIncrSeq), Seq: m.CurIncrSeq, Type: TypeIncr}
	m.Incrs = append(m.Incrs, f)
	return f
}

// newBase names a new base and demotes the old one to history, as Redis's
// getNewBaseFileNameAndMarkPreAsHistory.
func (m *Manifest) newBase(fileName string, rdb bool) File {
	if m.Base != nil {
		old := *m.Base
		old.Type = TypeHistory
		m.History = append([]File{old}, m.History...)
	}
	m.CurBaseSeq++
	f := File{Name: BaseName(fileName, m.CurBaseSeq, rdb), Seq: m.CurBaseSeq, Type: TypeBase}
	m.Base = &f
	return f
}
