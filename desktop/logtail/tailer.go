package logtail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Line is one complete line of the log and the position just after it.
type Line struct {
	Text string
	Pos  Position
}

// Batch is what one Poll found: the complete lines in order, the position to persist
// once they are handled (Valid is false while there is no log file yet), and notes
// about rotation or truncation for the event log.
type Batch struct {
	Lines []Line
	Pos   Position
	Valid bool
	Notes []string
}

// Tailer follows one log file. It is not safe for concurrent use.
type Tailer struct {
	path     string
	resume   *Position // saved position, used when the file is first opened
	firstRun bool      // no saved position: start at the end of an existing file

	f       *os.File
	fi      os.FileInfo
	id      FileID
	readOff int64
	sp      splitter
	notes   []string

	// MaxBatch bounds the bytes read by one Poll (a long backlog comes in pieces).
	MaxBatch int
}

// New makes a Tailer for path. With saved == nil this is a first run: an existing file
// is read from its end; a file that appears later is read from its start.
func New(path string, saved *Position) *Tailer {
	t := &Tailer{path: path, firstRun: saved == nil, MaxBatch: 1 << 20}
	if saved != nil {
		p := *saved
		t.resume = &p
	}
	return t
}

// FromStart makes a Tailer without a saved position read its file from the start: for a
// file that appeared after the Desktop began to watch for it, everything in it is new.
func (t *Tailer) FromStart() *Tailer {
	t.firstRun = false
	return t
}

// Path is the file being followed.
func (t *Tailer) Path() string { return t.path }

// Open reports whether the log file is open.
func (t *Tailer) Open() bool { return t.f != nil }

// Close releases the file.
func (t *Tailer) Close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// Poll reads what was appended since the last call.
func (t *Tailer) Poll() (Batch, error) {
	var lines []Line
	if t.f == nil {
		if err := t.open(); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				t.firstRun = false // whatever appears later is new
				return Batch{}, nil
			}
			return Batch{}, err
		}
	}
	if err := t.checkRewrite(); err != nil {
		return Batch{}, err
	}
	got, eof, err := t.read(t.MaxBatch)
	if err != nil {
		return Batch{}, err
	}
	lines = append(lines, got...)
	if eof {
		more, err := t.checkRotation()
		if err != nil {
			return Batch{Lines: lines, Pos: t.pos(), Valid: t.f != nil, Notes: t.takeNotes()}, err
		}
		lines = append(lines, more...)
	}
	return Batch{Lines: lines, Pos: t.pos(), Valid: t.f != nil, Notes: t.takeNotes()}, nil
}

func (t *Tailer) takeNotes() []string {
	n := t.notes
	t.notes = nil
	return n
}

func (t *Tailer) pos() Position { return Position{ID: t.id, Offset: t.sp.start} }

func (t *Tailer) open() error {
	f, err := openShared(t.path)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat %s: %w", t.path, err)
	}
	id, err := identify(f)
	if err != nil {
		f.Close()
		return err
	}
	var off int64
	switch {
	case t.resume != nil:
		same, err := sameFile(f, t.resume.ID, id)
		if err != nil {
			f.Close()
			return err
		}
		switch {
		case !same:
			t.notes = append(t.notes, "chat log was replaced while the Desktop was away; reading the new file from its start")
		case fi.Size() < t.resume.Offset:
			t.notes = append(t.notes, "chat log is shorter than the saved position (truncated); reading it from its start")
		default:
			off = t.resume.Offset
		}
	case t.firstRun:
		off = fi.Size()
		t.notes = append(t.notes, fmt.Sprintf("first run: following the chat log from its end (%d bytes skipped)", off))
	}
	t.resume, t.firstRun = nil, false
	t.f, t.fi, t.id, t.readOff = f, fi, id, off
	t.sp.reset(off)
	return nil
}

// read appends up to max bytes from the file and returns the lines completed.
func (t *Tailer) read(max int) (lines []Line, eof bool, err error) {
	buf := make([]byte, 64<<10)
	total := 0
	for max <= 0 || total < max {
		chunk := buf
		if max > 0 && max-total < len(chunk) {
			chunk = chunk[:max-total]
		}
		n, err := t.f.ReadAt(chunk, t.readOff)
		if n > 0 {
			total += n
			t.readOff += int64(n)
			for _, l := range t.sp.feed(buf[:n]) {
				lines = append(lines, Line{Text: l.text, Pos: Position{ID: t.id, Offset: l.end}})
			}
			if t.id.HeadLen < headSize {
				if id, err := identify(t.f); err == nil {
					t.id = id
				}
			}
		}
		if err == io.EOF {
			return lines, true, nil
		}
		if err != nil {
			return lines, false, fmt.Errorf("read %s: %w", t.path, err)
		}
	}
	return lines, false, nil
}

// checkRewrite notices the open file being cut shorter or rewritten in place: the size
// fell below what was read, or its first bytes changed.
func (t *Tailer) checkRewrite() error {
	fi, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", t.path, err)
	}
	same, err := sameFile(t.f, t.id, t.id)
	if err != nil {
		return err
	}
	if fi.Size() >= t.readOff && same {
		return nil
	}
	t.notes = append(t.notes, "chat log was truncated; reading it from its start")
	id, err := identify(t.f)
	if err != nil {
		return err
	}
	t.id, t.readOff = id, 0
	t.sp.reset(0)
	return nil
}

// checkRotation runs at the end of the open file: if the path now names another file,
// the rest of the old one is drained (its unfinished last line included) and the new
// one is read from its start. While the path names no file the old one stays open,
// since a writer may still hold it.
func (t *Tailer) checkRotation() ([]Line, error) {
	pfi, err := os.Stat(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", t.path, err)
	}
	if os.SameFile(t.fi, pfi) {
		return nil, nil
	}
	lines, _, err := t.read(0)
	if err != nil {
		return lines, err
	}
	if l, ok := t.sp.flush(); ok {
		lines = append(lines, Line{Text: l.text, Pos: Position{ID: t.id, Offset: l.end}})
	}
	t.f.Close()
	t.f = nil
	t.notes = append(t.notes, "chat log was replaced (rotated); reading the new file from its start")
	if err := t.open(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return lines, nil
		}
		return lines, err
	}
	more, _, err := t.read(t.MaxBatch)
	return append(lines, more...), err
}

// Follow polls every interval and calls handle with each batch that has lines or moves
// the position. A batch whose handle fails is offered again after interval, so the
// caller decides when a position is durable. It returns when ctx is done.
func (t *Tailer) Follow(ctx context.Context, every time.Duration, handle func(Batch) error) error {
	defer t.Close()
	var last Position
	var lastValid bool
	var pending *Batch
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if pending == nil {
			b, err := t.Poll()
			if err != nil {
				b.Notes = append(b.Notes, "chat log: "+err.Error())
			}
			if len(b.Lines) > 0 || len(b.Notes) > 0 || (b.Valid && (!lastValid || b.Pos != last)) {
				pending = &b
			}
		}
		if pending != nil {
			if err := handle(*pending); err == nil {
				if pending.Valid {
					last, lastValid = pending.Pos, true
				}
				pending = nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
