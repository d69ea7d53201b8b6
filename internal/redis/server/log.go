package server

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Log levels, as redis.conf's loglevel.
const (
	LevelDebug = iota
	LevelVerbose
	LevelNotice
	LevelWarning
)

var levelMarks = []byte{'.', '-', '*', '#'}

// ParseLevel parses a loglevel name.
func ParseLevel(s string) (int, bool) {
	switch s {
	case "debug":
		return LevelDebug, true
	case "verbose":
		return LevelVerbose, true
	case "notice":
		return LevelNotice, true
	case "warning":
		return LevelWarning, true
	}
	return 0, false
}

// Logger writes Redis's log line format:
// "pid:M 25 Nov 2026 10:32:40.123 * message".
type Logger struct {
	mu    sync.Mutex
	w     io.Writer
	f     *os.File
	path  string
	level int
	// Role returns 'M' or 'S' for the line prefix.
	Role func() byte
}

// NewLogger logs to path, or to stdout when path is "".
func NewLogger(path string, level int) (*Logger, error) {
	l := &Logger{level: level, path: path, Role: func() byte { return 'M' }}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Logger) open() error {
	if l.path == "" {
		l.w = os.Stdout
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log file %s: %w", l.path, err)
	}
	l.f, l.w = f, f
	return nil
}

// SetLevel changes the level (CONFIG SET loglevel).
func (l *Logger) SetLevel(level int) {
	l.mu.Lock()
	l.level = level
	l.mu.Unlock()
}

// Close closes the log file.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		return l.f.Close()
	}
	return nil
}

func (l *Logger) logf(level int, format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if level < l.level {
		return
	}
	now := time.Now()
	role := byte('M')
	if l.Role != nil {
		role = l.Role()
	}
	line := fmt.Sprintf("%d:%c %s %c %s\n", os.Getpid(), role, now.Format("02 Jan 2006 15:04:05.000"), levelMarks[level], fmt.Sprintf(format, args...))
	_, _ = io.WriteString(l.w, line)
}

// Debugf logs at debug level.
func (l *Logger) Debugf(format string, args ...any) { l.logf(LevelDebug, format, args...) }

// Verbosef logs at verbose level.
func (l *Logger) Verbosef(format string, args ...any) { l.logf(LevelVerbose, format, args...) }

// Noticef logs at notice level.
func (l *Logger) Noticef(format string, args ...any) { l.logf(LevelNotice, format, args...) }

// Warningf logs at warning level.
func (l *Logger) Warningf(format string, args ...any) { l.logf(LevelWarning, format, args...) }
