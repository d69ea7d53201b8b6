package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/replikube/replikube/internal/redis/command"
	"github.com/replikube/replikube/internal/redis/resp"
)

// ConfigError is a fatal configuration error, printed as Redis prints it.
type ConfigError struct {
	Line   int    // 1-based line of the file being read; 0 if none applies
	Text   string // the offending line, trimmed
	Reason string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("\n*** FATAL CONFIG FILE ERROR (Redis " + command.ServerVersion + ") ***\n")
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n>>> '%s'\n", e.Line, e.Text)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// configStdin is where "-" reads the configuration from (tests replace it).
var configStdin io.Reader = os.Stdin

// maxIncludeDepth bounds include recursion (Redis has no bound and
// overflows its stack on a self-including file).
const maxIncludeDepth = 32

// loadState is the state of one configuration load.
type loadState struct {
	// saveLoaded: the first save directive replaces the default save
	// points, later ones add to them.
	saveLoaded bool
	depth      int
	readFile   func(path string) ([]byte, error)
	glob       func(pattern string) ([]string, error)
}

// ConfigArgs splits redis-server's arguments (without the program name)
// into the configuration file and the options: the first argument is the
// file unless it starts with '-'.
func ConfigArgs(argv []string) (file string, opts []string) {
	if len(argv) > 0 && !strings.HasPrefix(argv[0], "-") {
		return argv[0], argv[1:]
	}
	return "", argv
}

// LoadConfig builds the configuration as redis-server does: the defaults,
// then the file (file "-" or an option "-" first or last reads standard
// input), then the command-line options (--name value ...), each option
// a directive line appended after the file. The file name is kept,
// absolute, for CONFIG REWRITE.
func LoadConfig(file string, args []string) (*Config, error) {
	cfg := DefaultConfig()
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	cfg.Dir = cwd
	ld := &loadState{readFile: os.ReadFile, glob: filepath.Glob}

	fromStdin := file == "-"
	options, stdinOpt := buildOptions(args, file != "")
	fromStdin = fromStdin || stdinOpt

	var content []byte
	if file != "" && file != "-" {
		abs := file
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(cwd, file)
		}
		cfg.File = abs
		data, err := readConfigFiles(file, ld)
		if err != nil {
			return nil, err
		}
		content = data
	}
	if fromStdin {
		data, err := io.ReadAll(configStdin)
		if err != nil {
			return nil, fmt.Errorf("read config from stdin: %w", err)
		}
		content = append(content, data...)
		cfg.stdinConfig = append([]byte{}, data...)
	}
	if len(args) > 0 || file != "" {
		content = append(content, '\n')
		content = append(content, options...)
	}
	if err := loadConfigString(cfg, string(content), ld); err != nil {
		return nil, err
	}
	if err := checkLoadedConfig(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// buildOptions turns command-line options into directive lines as
// Redis's main(): "--name" starts a line, the arguments that follow are
// appended quoted; an argument starting with "--" right after a bare
// option name is that option's value (--save and --sentinel excepted).
func buildOptions(args []string, hasFile bool) (string, bool) {
	var b strings.Builder
	stdin := false
	handledLast := true
	for j, a := range args {
		last := j == len(args)-1
		switch {
		case a == "-" && ((j == 0 && !hasFile) || last):
			stdin = true
		case handledLast && strings.HasPrefix(a, "--"):
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(a[2:])
			b.WriteByte(' ')
			toks, err := resp.SplitArgs([]byte(a), nil)
			if err != nil || len(toks) != 1 {
				handledLast = true
				break
			}
			handledLast = false
			nextIsOption := !last && strings.HasPrefix(args[j+1], "--")
			switch {
			case strings.EqualFold(a, "--save") && nextIsOption:
				b.WriteString(`""`)
				handledLast = true
			case strings.EqualFold(a, "--save") && last:
				b.WriteString(`""`)
			case strings.EqualFold(a, "--sentinel") && nextIsOption:
				handledLast = true
			}
		default:
			b.WriteString(quoteRepr(a))
			b.WriteByte(' ')
			handledLast = true
		}
	}
	return b.String(), stdin
}

// readConfigFiles reads a configuration file, or every file matching a
// pattern (no match is not an error, so that an empty conf.d works).
func readConfigFiles(name string, ld *loadState) ([]byte, error) {
	if !strings.ContainsAny(name, "*?[") {
		data, err := ld.readFile(name)
		if err != nil {
			return nil, fmt.Errorf("Fatal error, can't open config file '%s': %s", name, errnoText(err))
		}
		return data, nil
	}
	matches, _ := ld.glob(name)
	var out []byte
	for _, m := range matches {
		data, err := ld.readFile(m)
		if err != nil {
			return nil, fmt.Errorf("Fatal error, can't open config file '%s': %s", m, errnoText(err))
		}
		out = append(out, data...)
	}
	return out, nil
}

// errnoText renders an OS error as strerror does ("No such file or
// directory").
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg != "" {
			return strings.ToUpper(msg[:1]) + msg[1:]
		}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// deprecatedDirectives are accepted and ignored with this argument count.
var deprecatedDirectives = map[string]int{
	"list-max-ziplist-entries": 2,
	"list-max-ziplist-value":   2,
	"lua-replicate-commands":   2,
}

// loadConfigString applies configuration text line by line.
func loadConfigString(cfg *Config, content string, ld *loadState) error {
	lines := strings.Split(content, "\n")
	for i, raw := range lines {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(reason string) error { return &ConfigError{Line: i + 1, Text: line, Reason: reason} }
		argv, err := splitLine(line)
		if err != nil {
			return fail("Unbalanced quotes in configuration line")
		}
		if len(argv) == 0 {
			continue
		}
		name := strings.ToLower(argv[0])
		if d := lookupDirective(name); d != nil {
			args := argv[1:]
			if !d.is(fMultiArg) && len(args) != 1 {
				return fail(errWrongArgs)
			}
			if d.is(fMultiArg) && len(args) == 1 && args[0] != "" {
				// A single quoted value holds the arguments: save "900 1 300 10".
				if sub, err := splitLine(args[0]); err == nil {
					args = sub
				}
			}
			if err := d.setArgs(cfg, args, ld); err != nil {
				return fail(err.Error())
			}
			continue
		}
		if n, ok := deprecatedDirectives[name]; ok && n == len(argv) {
			continue
		}
		if reason, ok := loadSpecialDirective(cfg, name, argv, ld); ok {
			if reason != "" {
				return fail(reason)
			}
			continue
		}
		if name == "include" && len(argv) == 2 {
			if err := includeFile(cfg, argv[1], ld); err != nil {
				return err
			}
			continue
		}
		return fail("Bad directive or wrong number of arguments")
	}
	return nil
}

// splitLine splits a configuration line into arguments (sdssplitargs).
func splitLine(line string) ([]string, error) {
	toks, err := resp.SplitArgs([]byte(line), nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = string(t)
	}
	return out, nil
}

// includeFile loads an included file (relative to the current dir, as
// Redis after its chdir); its errors name its own lines.
func includeFile(cfg *Config, name string, ld *loadState) error {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(cfg.Dir, path)
	}
	if ld.depth >= maxIncludeDepth {
		return fmt.Errorf("Fatal error, can't open config file '%s': include nesting is too deep", name)
	}
	data, err := readConfigFiles(path, ld)
	if err != nil {
		return err
	}
	ld.depth++
	defer func() { ld.depth-- }()
	return loadConfigString(cfg, string(data), ld)
}

// The default user as CONFIG REWRITE of a Redis without ACL users writes
// it: accepted as a no-op so that such files load.
var defaultUserRules = map[string]bool{"on": true, "nopass": true, "~*": true, "&*": true, "+@all": true, "allkeys": true, "allchannels": true, "allcommands": true, "resetchannels": false}

// loadSpecialDirective handles the directives outside the config table.
// ok reports whether name is one of them; reason is the error, if any.
func loadSpecialDirective(cfg *Config, name string, argv []string, ld *loadState) (reason string, ok bool) {
	switch {
	case name == "rename-command" && len(argv) == 3:
		return "rename-command is not supported by Replikube", true
	case name == "user" && len(argv) >= 2:
		if argv[1] == "default" {
			noop := true
			for _, r := range argv[2:] {
				noop = noop && defaultUserRules[r]
			}
			if noop {
				return "", true
			}
		}
		return "user directive (ACL users) is not supported by Replikube; use requirepass", true
	case name == "loadmodule" && len(argv) >= 2:
		return "loadmodule is not supported by Replikube", true
	case strings.Contains(name, "."):
		if len(argv) != 2 {
			return "Module config specified without value", true
		}
		return "", true // queued for modules by Redis; none is ever loaded here
	case name == "sentinel":
		if len(argv) != 1 {
			return "sentinel directive while not in sentinel mode", true
		}
		return "", true
	}
	return "", false
}

// checkLoadedConfig runs Redis's checks after the whole file is read.
func checkLoadedConfig(cfg *Config) error {
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.Path(cfg.LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return &ConfigError{Reason: "Can't open the log file: " + errnoText(err)}
		}
		_ = f.Close()
	}
	if cluster, _ := cfg.Get("cluster-enabled"); cluster == "yes" && cfg.ReplicaOf != "" {
		return &ConfigError{Reason: "replicaof directive not allowed in cluster mode"}
	}
	return nil
}

// quoteRepr is sdscatrepr: a double-quoted string with C escapes, bytes
// outside printable ASCII as \xHH.
func quoteRepr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c <= 0x7e {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// cStrtoll is strtoll(s, &end, 10) with the check *end == '\0': leading
// spaces and a sign are accepted, no digits at all only for "", and
// overflow saturates.
func cStrtoll(s string) (int64, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	over := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if v > (1<<63)/10 {
			over = true
		}
		v = v*10 + uint64(s[i]-'0')
		i++
	}
	if i == start {
		return 0, s == ""
	}
	if i != len(s) {
		return 0, false
	}
	switch {
	case neg && (over || v > 1<<63):
		return -1 << 63, true
	case neg:
		return -int64(v), true
	case over || v > 1<<63-1:
		return 1<<63 - 1, true
	}
	return int64(v), true
}

// ---- special directives ---------------------------------------------------

func getDir(c *Config) string {
	if filepath.IsAbs(c.Dir) {
		return c.Dir
	}
	abs, err := filepath.Abs(c.Dir)
	if err != nil {
		return ""
	}
	return abs
}

// setDir checks the directory as chdir would and stores its absolute
// path; the process directory is not changed (see Config.Path).
func setDir(c *Config, args []string, _ *loadState) error {
	if len(args) != 1 {
		return errors.New(errWrongArgs)
	}
	p := args[0]
	if p == "" {
		return errors.New("No such file or directory")
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(getDir(c), p)
	}
	st, err := os.Stat(p)
	if err != nil {
		return errors.New(errnoText(err))
	}
	if !st.IsDir() {
		return errors.New("Not a directory")
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	c.Dir = filepath.Clean(p)
	return nil
}

func getSave(c *Config) string {
	parts := make([]string, 0, 2*len(c.Save))
	for _, sp := range c.Save {
		parts = append(parts, strconv.FormatInt(sp[0], 10), strconv.FormatInt(sp[1], 10))
	}
	return strings.Join(parts, " ")
}

func setSave(c *Config, args []string, ld *loadState) error {
	if len(args) == 1 && args[0] == "" {
		c.Save = nil
		return nil
	}
	if len(args)%2 != 0 {
		return errors.New(errSaveParams)
	}
	pairs := make([][2]int64, 0, len(args)/2)
	for j := 0; j < len(args); j += 2 {
		secs, ok1 := cStrtoll(args[j])
		changes, ok2 := cStrtoll(args[j+1])
		if !ok1 || !ok2 || secs < 1 || changes < 0 {
			return errors.New(errSaveParams)
		}
		pairs = append(pairs, [2]int64{secs, int64(int32(changes))})
	}
	if ld == nil || !ld.saveLoaded {
		c.Save = nil
		if ld != nil {
			ld.saveLoaded = true
		}
	}
	c.Save = append(c.Save, pairs...)
	return nil
}

var outputClassNames = [3]string{"normal", "slave", "pubsub"}

func getOutputLimits(c *Config) string {
	parts := make([]string, 0, 3)
	for i, l := range c.ClientOutputBufferLimit {
		parts = append(parts, fmt.Sprintf("%s %d %d %d", outputClassNames[i], uint64(l.Hard), uint64(l.Soft), l.SoftSeconds))
	}
	return strings.Join(parts, " ")
}

func outputClass(name string) int {
	switch strings.ToLower(name) {
	case "normal":
		return 0
	case "slave", "replica":
		return 1
	case "pubsub":
		return 2
	}
	return -1
}

func setOutputLimits(c *Config, args []string, _ *loadState) error {
	if len(args)%4 != 0 {
		return errors.New(errOBLArgs)
	}
	vals := c.ClientOutputBufferLimit
	for j := 0; j < len(args); j += 4 {
		class := outputClass(args[j])
		if class < 0 {
			return errors.New(errOBLClass)
		}
		hard, ok1 := memToULL(args[j+1])
		soft, ok2 := memToULL(args[j+2])
		secs, ok3 := cStrtoll(args[j+3])
		if !ok1 || !ok2 || !ok3 || secs < 0 {
			return errors.New(errOBLValues)
		}
		vals[class] = OutputLimit{Hard: int64(hard), Soft: int64(soft), SoftSeconds: int(int32(secs))}
	}
	c.ClientOutputBufferLimit = vals
	return nil
}

func getOOMValues(c *Config) string {
	if v, ok := c.Unknown["oom-score-adj-values"]; ok {
		return v
	}
	return "0 200 800"
}

func setOOMValues(c *Config, args []string, _ *loadState) error {
	if len(args) != 3 {
		return errors.New(errWrongArgs)
	}
	parts := make([]string, 3)
	for i, a := range args {
		v, ok := cStrtoll(a)
		if !ok || v < -2000 || v > 2000 {
			return errors.New(errOOMValues)
		}
		parts[i] = strconv.FormatInt(v, 10)
	}
	text := strings.Join(parts, " ")
	if c.Unknown == nil {
		c.Unknown = map[string]string{}
	}
	if text == "0 200 800" {
		delete(c.Unknown, "oom-score-adj-values")
	} else {
		c.Unknown["oom-score-adj-values"] = text
	}
	return nil
}

// Keyspace event classes, in the order keyspaceEventsFlagsToString
// writes them; "A" stands for all of allClasses.
const (
	allClasses   = "g$lshzxetd"
	classesOrder = "g$lshzxetdn"
)

// setKeyspaceEvents parses the classes and stores their canonical text.
func setKeyspaceEvents(c *Config, args []string, _ *loadState) error {
	if len(args) != 1 {
		return errors.New(errWrongArgs)
	}
	set := map[byte]bool{}
	for i := 0; i < len(args[0]); i++ {
		ch := args[0][i]
		switch {
		case ch == 'A':
			for k := 0; k < len(allClasses); k++ {
				set[allClasses[k]] = true
			}
		case strings.IndexByte(classesOrder+"KEm", ch) >= 0:
			set[ch] = true
		default:
			return errors.New(errKeyspaceEvts)
		}
	}
	var b strings.Builder
	all := true
	for k := 0; k < len(allClasses); k++ {
		all = all && set[allClasses[k]]
	}
	if all {
		b.WriteByte('A')
		if set['n'] {
			b.WriteByte('n')
		}
	} else {
		for k := 0; k < len(classesOrder); k++ {
			if set[classesOrder[k]] {
				b.WriteByte(classesOrder[k])
			}
		}
	}
	for _, ch := range []byte("KEm") {
		if set[ch] {
			b.WriteByte(ch)
		}
	}
	c.NotifyKeyspaceEvents = b.String()
	return nil
}

func setBind(c *Config, args []string, _ *loadState) error {
	if len(args) > configBindMax {
		return errors.New(errTooManyBinds)
	}
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	c.Bind = append([]string{}, args...)
	return nil
}

func setReplicaOf(c *Config, args []string, _ *loadState) error {
	if len(args) != 2 {
		return errors.New(errWrongArgs)
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		c.ReplicaOf = ""
		return nil
	}
	port, ok := cStrtoll(args[1])
	if !ok || port < 0 || port > 65535 {
		return errors.New(errMasterPort)
	}
	c.ReplicaOf = args[0] + " " + strconv.FormatInt(port, 10)
	return nil
}

func getPercentiles(c *Config) string {
	parts := make([]string, len(c.LatencyTrackingInfoPercentiles))
	for i, p := range c.LatencyTrackingInfoPercentiles {
		parts[i] = trimDouble(p)
	}
	return strings.Join(parts, " ")
}

// trimDouble is "%f" without trailing zeros (trimDoubleString).
func trimDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

func setPercentiles(c *Config, args []string, _ *loadState) error {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	vals := make([]float64, 0, len(args))
	for _, a := range args {
		f, ok := command.ParseFloat([]byte(a))
		if !ok || strings.ContainsAny(a, " \t\r\n") {
			return errors.New(errPercentiles)
		}
		if f > 100 || f < 0 {
			return errors.New(errPercRange)
		}
		vals = append(vals, f)
	}
	c.LatencyTrackingInfoPercentiles = vals
	return nil
}
