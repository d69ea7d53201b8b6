package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Result says what Load found.
type Result int

// Results of Load, as Redis's AOF_NOT_EXIST, AOF_EMPTY, AOF_OK and
// AOF_TRUNCATED.
const (
	NotExist  Result = iota // no manifest, or one that names no file
	Empty                   // every file is empty: nothing was loaded
	Loaded                  // everything loaded
	Truncated               // loaded after cutting an incomplete tail off the last file
)

func (r Result) String() string {
	switch r {
	case NotExist:
		return "not-exist"
	case Empty:
		return "empty"
	case Loaded:
		return "ok"
	case Truncated:
		return "truncated"
	}
	return "unknown"
}

// Status reports a Load.
type Status struct {
	Result Result
	// Manifest is what was loaded (after an upgrade, what was written); the
	// caller passes it to Open. It is never nil when Load succeeds.
	Manifest *Manifest
	// Upgraded is set when a pre-7.0 AOF (<dir>/<appendfilename>) was moved
	// into the AOF directory and became the base.
	Upgraded bool
	Commands int64 // commands handed to Apply
	RDBs     int   // files that began with an RDB (handed to LoadRDB)
	Size     int64 // bytes of the base and incr files, after truncation: aof_current_size
	BaseSize int64 // bytes of the base: aof_rewrite_base_size
	// With Result Truncated: the file cut, its size before and after, and
	// whether the cut removed an unfinished MULTI (Redis logs "Revert
	// incomplete MULTI/EXEC transaction").
	TruncatedFile string
	TruncatedFrom int64
	TruncatedTo   int64
	RevertedMulti bool
}

// Load error kinds; every *LoadError matches one with errors.Is.
var (
	ErrBadFormat        = errors.New("aof: bad file format")
	ErrUnexpectedEOF    = errors.New("aof: unexpected end of file")
	ErrTruncatedNotLast = errors.New("aof: truncated file is not the last file")
	ErrMissingFile      = errors.New("aof: file in the manifest does not exist")
	ErrRDB              = errors.New("aof: error loading the RDB")
	ErrApply            = errors.New("aof: error applying a command")
	ErrRead             = errors.New("aof: read error")
)

// LoadError is a file Redis would refuse to start with: which file, at which
// byte offset, and why.
type LoadError struct {
	File   string
	Offset int64
	Kind   error // one of the Err* kinds above
	Err    error // the cause, when there is one (I/O, LoadRDB, Apply)
}

func (e *LoadError) Error() string {
	var s string
	switch e.Kind {
	case ErrBadFormat:
		s = fmt.Sprintf("Bad file format reading the append only file %s at offset %d", e.File, e.Offset)
	case ErrUnexpectedEOF:
		s = fmt.Sprintf("Unexpected end of file reading the append only file %s at offset %d "+
			"(aof-load-truncated yes would cut it to the last complete command)", e.File, e.Offset)
	case ErrTruncatedNotLast:
		s = fmt.Sprintf("Fatal error: the truncated file %s is not the last file (offset %d)", e.File, e.Offset)
	case ErrMissingFile:
		s = fmt.Sprintf("The AOF file %s listed in the manifest does not exist", e.File)
	case ErrRDB:
		s = fmt.Sprintf("Error reading the RDB in the AOF file %s, AOF loading aborted", e.File)
	case ErrApply:
		s = fmt.Sprintf("Error applying the command at offset %d of the append only file %s", e.Offset, e.File)
	default:
		s = fmt.Sprintf("Unrecoverable error reading the append only file %s at offset %d", e.File, e.Offset)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return "aof: " + s
}

func (e *LoadError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Loader loads an AOF at start-up, as Redis's loadAppendOnlyFiles.
//
// # LoadRDB contract
//
// Any file that starts with "REDIS" begins with an RDB: a base .rdb, or a
// base .aof written with aof-use-rdb-preamble yes. LoadRDB gets r positioned
// at the first byte of the file; r is a *bufio.Reader (type-assert it for
// io.ByteReader). LoadRDB must read exactly the RDB: through the EOF opcode
// (0xFF) and the 8-byte CRC64 that follows it (RDB version 5 and later), and
// not one byte more, because the commands of a preamble AOF follow at once.
// Reading to io.EOF is fine only for a pure .rdb file. A non-nil error stops
// the load with ErrRDB.
//
// # Apply contract
//
// Apply gets every command in file order. argv is freshly allocated and may
// be retained. MULTI ... EXEC blocks are handed over only once their EXEC has
// been read, one command per call starting with MULTI; an unfinished block at
// the end of the last file is never handed over (Redis reverts it), so Apply
// need not undo anything. A non-nil error stops the load with ErrApply (Redis
// logs "Unknown command '%s' reading the append only file %s" and exits).
type Loader struct {
	Dir           string // the AOF directory: <dir>/<appenddirname>
	FileName      string // appendfilename
	LoadTruncated bool   // aof-load-truncated
	LoadRDB       func(r io.Reader, name string) error
	Apply         func(argv [][]byte) error
	// OldDir is where a pre-7.0 AOF named FileName is looked for; "" means
	// the parent of Dir, Redis's dir.
	OldDir string
}

// Load reads the manifest (upgrading a pre-7.0 single AOF when there is one
// and no manifest naming files), then loads the base and the incr files in
// order. Only the last file may end in an incomplete command; with
// LoadTruncated it is cut to its last complete command (or to before an
// unfinished MULTI) and Result is Truncated.
func (l *Loader) Load() (Status, error) {
	var st Status
	m, dirExists, err := l.readManifest()
	if err != nil {
		return st, err
	}
	st.Upgraded, err = l.upgradeIfNeeded(m, dirExists)
	if err != nil {
		return st, err
	}
	st.Manifest = m
	if m.Empty() {
		st.Result = NotExist
		return st, nil
	}
	files := m.Files()
	sizes := make([]int64, len(files))
	for i, f := range files {
		fi, err := os.Stat(filepath.Join(l.Dir, f.Name))
		if errors.Is(err, fs.ErrNotExist) {
			return st, &LoadError{File: f.Name, Kind: ErrMissingFile}
		}
		if err != nil {
			return st, &LoadError{File: f.Name, Kind: ErrRead, Err: err}
		}
		sizes[i] = fi.Size()
		st.Size += fi.Size()
	}
	if m.Base != nil {
		st.BaseSize = sizes[0]
	}
	if st.Size == 0 {
		st.Result = Empty
		return st, nil
	}
	st.Result = Loaded
	for i, f := range files {
		if sizes[i] == 0 {
			continue
		}
		last := i == len(files)-1
		tr, err := l.loadFile(f.Name, sizes[i], &st)
		if err != nil {
			return st, err
		}
		if tr == nil {
			continue
		}
		if !last {
			return st, &LoadError{File: f.Name, Offset: tr.cut, Kind: ErrTruncatedNotLast}
		}
		if !l.LoadTruncated {
			return st, &LoadError{File: f.Name, Offset: tr.cut, Kind: ErrUnexpectedEOF}
		}
		if err := truncateDurable(filepath.Join(l.Dir, f.Name), tr.cut); err != nil {
			return st, &LoadError{File: f.Name, Offset: tr.cut, Kind: ErrRead, Err: err}
		}
		st.Result = Truncated
		st.TruncatedFile, st.TruncatedFrom, st.TruncatedTo = f.Name, sizes[i], tr.cut
		st.RevertedMulti = tr.revertedMulti
		st.Size -= sizes[i] - tr.cut
		if i == 0 && m.Base != nil {
			st.BaseSize = tr.cut
		}
	}
	return st, nil
}

// readManifest returns the manifest, or an empty one when the directory or
// the manifest does not exist.
func (l *Loader) readManifest() (*Manifest, bool, error) {
	fi, err := os.Stat(l.Dir)
	if err != nil || !fi.IsDir() {
		return &Manifest{}, false, nil
	}
	name := ManifestName(l.FileName)
	data, err := os.ReadFile(filepath.Join(l.Dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return &Manifest{}, true, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("read AOF manifest %s: %w", name, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, true, fmt.Errorf("read AOF manifest %s: %w", name, err)
	}
	return m, true, nil
}

func isRegular(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// upgradeIfNeeded moves a pre-7.0 AOF into the AOF directory as its base,
// in the three cases of Redis's loadAppendOnlyFiles: no AOF directory, a
// manifest naming nothing, or a manifest naming only that base which has
// not been moved yet (a crash between the two steps of an upgrade). The
// manifest is written first, then the file moved, so a crash in between is
// retried at the next start.
func (l *Loader) upgradeIfNeeded(m *Manifest, dirExists bool) (bool, error) {
	oldDir := l.OldDir
	if oldDir == "" {
		oldDir = filepath.Dir(l.Dir)
	}
	if filepath.Clean(oldDir) == filepath.Clean(l.Dir) || !safeName(l.FileName) {
		return false, nil
	}
	oldPath := filepath.Join(oldDir, l.FileName)
	if !isRegular(oldPath) {
		return false, nil
	}
	newPath := filepath.Join(l.Dir, l.FileName)
	pending := m.Base != nil && len(m.Incrs) == 0 && m.Base.Name == l.FileName && !isRegular(newPath)
	if dirExists && !m.Empty() && !pending {
		return false, nil
	}
	if err := mkdirDurable(l.Dir); err != nil {
		return false, fmt.Errorf("upgrade AOF %s: %w", l.FileName, err)
	}
	m.Base = &File{Name: l.FileName, Seq: 1, Type: TypeBase}
	m.CurBaseSeq = 1
	if err := writeManifest(l.Dir, l.FileName, m); err != nil {
		return false, fmt.Errorf("upgrade AOF %s: %w", l.FileName, err)
	}
	if err := os.Rename(oldPath, newPath); err != nil {
		return false, fmt.Errorf("upgrade AOF %s: move into %s: %w", l.FileName, l.Dir, err)
	}
	if err := syncDir(l.Dir); err != nil {
		return false, fmt.Errorf("upgrade AOF %s: %w", l.FileName, err)
	}
	if err := syncDir(oldDir); err != nil {
		return false, fmt.Errorf("upgrade AOF %s: %w", l.FileName, err)
	}
	return true, nil
}

// truncation says where a file with an incomplete tail must be cut.
type truncation struct {
	cut           int64 // end of the last complete command, or start of an unfinished MULTI
	revertedMulti bool
}

// countingReader counts the bytes read from the file, so that offsets are
// known while a bufio.Reader sits on top.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (l *Loader) loadFile(name string, size int64, st *Status) (*truncation, error) {
	f, err := os.Open(filepath.Join(l.Dir, name))
	if err != nil {
		return nil, &LoadError{File: name, Kind: ErrRead, Err: err}
	}
	defer f.Close()
	return l.loadStream(f, name, size, st)
}

const loadBufSize = 64 << 10

// loadStream loads one file's contents: an optional RDB, then commands.
func (l *Loader) loadStream(r io.Reader, name string, size int64, st *Status) (*truncation, error) {
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, loadBufSize)
	if magic, _ := br.Peek(5); string(magic) == "REDIS" {
		if l.LoadRDB == nil {
			return nil, &LoadError{File: name, Kind: ErrRDB, Err: errors.New("no RDB loader configured")}
		}
		if err := l.LoadRDB(br, name); err != nil {
			return nil, &LoadError{File: name, Offset: cr.n - int64(br.Buffered()), Kind: ErrRDB, Err: err}
		}
		st.RDBs++
	}
	p := &cmdParser{br: br, off: cr.n - int64(br.Buffered()), size: size}
	validUpTo := p.off
	var (
		inMulti     bool
		beforeMulti int64
		pending     [][][]byte
		pendingOff  []int64
	)
	apply := func(argv [][]byte, off int64) error {
		st.Commands++
		if l.Apply == nil {
			return nil
		}
		if err := l.Apply(argv); err != nil {
			return &LoadError{File: name, Offset: off, Kind: ErrApply, Err: err}
		}
		return nil
	}
	for {
		start := p.off
		argv, err := p.next()
		switch {
		case err == io.EOF:
			if inMulti {
				return &truncation{cut: beforeMulti, revertedMulti: true}, nil
			}
			return nil, nil
		case err == errIncomplete:
			if inMulti {
				return &truncation{cut: beforeMulti, revertedMulti: true}, nil
			}
			return &truncation{cut: validUpTo}, nil
		case err == errFormat:
			return nil, &LoadError{File: name, Offset: p.off, Kind: ErrBadFormat}
		case err != nil:
			return nil, &LoadError{File: name, Offset: p.off, Kind: ErrRead, Err: err}
		}
		switch {
		case !inMulti && isCommand(argv, "multi"):
			inMulti, beforeMulti = true, start
			pending, pendingOff = append(pending[:0], argv), append(pendingOff[:0], start)
			continue
		case inMulti:
			pending, pendingOff = append(pending, argv), append(pendingOff, start)
			if !isCommand(argv, "exec") {
				continue
			}
			inMulti = false
			for i, cmd := range pending {
				if err := apply(cmd, pendingOff[i]); err != nil {
					return nil, err
				}
			}
			clear(pending)
		default:
			if err := apply(argv, start); err != nil {
				return nil, err
			}
		}
		validUpTo = p.off
	}
}

func isCommand(argv [][]byte, name string) bool {
	return len(argv) > 0 && bytes.EqualFold(argv[0], []byte(name))
}

// truncateDurable cuts path to size and fsyncs it.
func truncateDurable(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
