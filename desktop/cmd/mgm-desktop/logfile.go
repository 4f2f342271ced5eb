package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The Windows build is a GUI program (-H windowsgui): it has no console, so nothing it
// prints is seen, and a console window — which freezes the program while text in it is
// selected — never appears. Everything goes to desktop.log in the config folder instead,
// crash output included (debug.SetCrashOutput in main).

// maxLog is the size at which desktop.log is moved to desktop.log.1 at start.
const maxLog = 5 << 20

// logFile is the Desktop's log: timestamped lines appended to one file, safe for
// concurrent use, copied to echo (stderr) when there is one.
type logFile struct {
	mu   sync.Mutex
	f    *os.File
	echo io.Writer
}

// openLog opens <dir>/desktop.log for appending, first moving a log over maxLog to
// desktop.log.1 (replacing an older one).
func openLog(dir string, echo io.Writer) (*logFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "desktop.log")
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxLog {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &logFile{f: f, echo: echo}, nil
}

// Printf writes one line.
func (l *logFile) Printf(format string, args ...any) {
	line := time.Now().Format("2006-01-02 15:04:05.000 ") + fmt.Sprintf(format, args...) + "\n"
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.f.WriteString(line)
	if l.echo != nil {
		_, _ = io.WriteString(l.echo, line)
	}
}

func (l *logFile) Close() error { return l.f.Close() }
