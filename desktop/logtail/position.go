// Package logtail follows WoW's chat log (Logs/WoWChatLog.txt) from a persisted position
// and hands out complete lines. It survives the file being replaced (rotation), cut
// shorter (truncation), lines that are still being written and UTF-8 sequences split
// across reads; a first run with no saved position starts at the end of the file, so an
// old log is never replayed.
package logtail

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// headSize is how many leading bytes of the file are fingerprinted. The first line of a
// WoW chat log carries a timestamp, so two different logs almost never share it.
const headSize = 64

// FileID says which file a Position belongs to. Sys is the operating system's identity
// (device and inode on Unix, volume serial and file index on Windows; empty where the
// platform has none). Head is the fingerprint of the first HeadLen bytes — the fallback
// when Sys is missing, and the guard against an inode reused by a new file.
type FileID struct {
	Sys     string `json:"sys,omitempty"`
	HeadLen int    `json:"headLen"`
	Head    string `json:"head"`
}

// Position is where reading resumes: Offset bytes into the file named by ID, always
// just after a complete line.
type Position struct {
	ID     FileID `json:"id"`
	Offset int64  `json:"offset"`
}

func (p Position) String() string {
	return fmt.Sprintf("%s+%d", p.ID.Sys, p.Offset)
}

// identify computes the FileID of an open file.
func identify(f *os.File) (FileID, error) {
	sys, err := sysID(f)
	if err != nil {
		return FileID{}, err
	}
	head := make([]byte, headSize)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return FileID{}, fmt.Errorf("read head of %s: %w", f.Name(), err)
	}
	return FileID{Sys: sys, HeadLen: n, Head: headSum(head[:n])}, nil
}

func headSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sameFile reports whether the open file f (with id cur) is the file a saved position
// was taken in. The OS identity decides when both sides have one; the head fingerprint
// must match as well, which catches a new file that got a freed inode back. A file
// shorter than the saved head cannot be the same file grown.
func sameFile(f *os.File, saved, cur FileID) (bool, error) {
	if saved.Sys != "" && cur.Sys != "" && saved.Sys != cur.Sys {
		return false, nil
	}
	if saved.HeadLen == 0 {
		return true, nil
	}
	head := make([]byte, saved.HeadLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("read head of %s: %w", f.Name(), err)
	}
	if n < saved.HeadLen {
		return false, nil
	}
	return headSum(head) == saved.Head, nil
}
