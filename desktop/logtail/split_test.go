package logtail

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestSplitter_LongLineIsCutAtARuneBoundary(t *testing.T) {
	var s splitter
	data := strings.Repeat("я", maxLine) // 2 bytes each
	lines := s.feed([]byte(data))
	assert.NotEmpty(t, lines)
	for _, l := range lines {
		assert.True(t, utf8.ValidString(l.text))
		assert.LessOrEqual(t, len(l.text), maxLine)
	}
}

// FuzzSplitter feeds a stream in arbitrary pieces and checks that the lines and their
// end offsets are exactly those of splitting the whole stream at once.
func FuzzSplitter(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), []byte{1, 2, 3})
	f.Add([]byte("Норинн\n[MGM_ACCEPT:x]\n"), []byte{3, 1})
	f.Add([]byte("\n\n\n"), []byte{0})
	f.Add([]byte("\xff\xfe\n\xd0"), []byte{1})
	f.Fuzz(func(t *testing.T, data []byte, cuts []byte) {
		var s splitter
		var got []rawLine
		rest := data
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = int(cuts[i%len(cuts)])%len(rest) + 1
			}
			got = append(got, s.feed(rest[:n])...)
			rest = rest[n:]
		}
		// Expected: every '\n'-terminated piece is a line; the tail waits.
		var want []rawLine
		off := 0
		for {
			i := strings.IndexByte(string(data[off:]), '\n')
			if i < 0 {
				break
			}
			text := strings.TrimSuffix(string(data[off:off+i]), "\r")
			want = append(want, rawLine{text: strings.ToValidUTF8(text, "\uFFFD"), end: int64(off + i + 1)})
			off += i + 1
		}
		if len(want) != len(got) {
			t.Fatalf("lines: want %d got %d", len(want), len(got))
		}
		for i := range want {
			if want[i] != got[i] {
				t.Fatalf("line %d: want %+v got %+v", i, want[i], got[i])
			}
			if !utf8.ValidString(got[i].text) {
				t.Fatalf("invalid UTF-8 out")
			}
		}
		if s.start != int64(off) || string(s.buf) != string(data[off:]) {
			t.Fatalf("pending: start %d buf %q, want %d %q", s.start, s.buf, off, data[off:])
		}
	})
}
