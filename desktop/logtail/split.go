package logtail

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// maxLine bounds a line that never ends, so a broken writer cannot grow memory forever.
// WoW's own lines are a few hundred bytes.
const maxLine = 1 << 20

// rawLine is one complete line and the file offset just after it.
type rawLine struct {
	text string
	end  int64
}

// splitter cuts a byte stream into lines. Bytes after the last newline wait in buf until
// their newline arrives, so a line is never handed out half-written and a UTF-8 sequence
// split between two reads is joined again ('\n' never occurs inside a multi-byte rune).
type splitter struct {
	buf   []byte
	start int64 // file offset of buf[0] = end of the last complete line
}

func (s *splitter) reset(off int64) {
	s.buf = s.buf[:0]
	s.start = off
}

// feed appends p, which was read at offset s.start+len(s.buf), and returns the lines
// it completed.
func (s *splitter) feed(p []byte) []rawLine {
	var out []rawLine
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.buf = append(s.buf, p...)
			for len(s.buf) > maxLine {
				cut := maxLine
				for cut > 0 && !utf8.RuneStart(s.buf[cut]) {
					cut--
				}
				if cut == 0 {
					cut = maxLine
				}
				out = append(out, s.emit(cut, cut))
			}
			return out
		}
		s.buf = append(s.buf, p[:i]...)
		p = p[i+1:]
		out = append(out, s.emit(len(s.buf), len(s.buf)+1))
	}
	return out
}

// emit hands out buf[:n] as a line that consumed `used` bytes of the stream.
func (s *splitter) emit(n, used int) rawLine {
	text := strings.TrimSuffix(string(s.buf[:n]), "\r") // the Windows client writes CRLF
	text = strings.ToValidUTF8(text, "\uFFFD")
	rest := 0
	if used < len(s.buf) {
		rest = copy(s.buf, s.buf[used:])
	}
	// used may exceed len(buf) by one: the newline, which was never appended.
	s.start += int64(used)
	s.buf = s.buf[:rest]
	return rawLine{text: text, end: s.start}
}

// flush hands out an unfinished last line when no more bytes can come (the file was
// replaced).
func (s *splitter) flush() (rawLine, bool) {
	if len(s.buf) == 0 {
		return rawLine{}, false
	}
	return s.emit(len(s.buf), len(s.buf)), true
}
