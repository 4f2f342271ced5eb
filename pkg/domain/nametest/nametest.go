// Package nametest loads the one table of character-name cases
// (pkg/domain/testdata/names.json) that the backend, the addon and the Desktop are all
// tested against, so the three agree on every rule of docs/product.md §2.
package nametest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Case is one input and what the game makes of it: Display (the name as the game shows
// it) when it is a valid name, otherwise Reason (a domain.NameProblem).
type Case struct {
	In      string `json:"in"`
	InHex   string `json:"inHex"`
	Display string `json:"display"`
	Reason  string `json:"reason"`
	Note    string `json:"note"`
}

// Input is the case's input bytes.
func (c Case) Input() string {
	if c.InHex != "" {
		b, err := hex.DecodeString(c.InHex)
		if err != nil {
			panic(fmt.Sprintf("names.json: bad inHex %q", c.InHex))
		}
		return string(b)
	}
	return c.In
}

// Name labels the case in test output.
func (c Case) Name() string { return fmt.Sprintf("%q", c.Input()) }

// Table is names.json.
type Table struct {
	Names     []Case      `json:"names"`
	Same      [][2]string `json:"same"`
	Different [][2]string `json:"different"`
}

// Path is where names.json lives.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "names.json")
}

// Load reads the table.
func Load() (Table, error) {
	var t Table
	b, err := os.ReadFile(Path())
	if err != nil {
		return t, err
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("names.json: %w", err)
	}
	for _, c := range t.Names {
		if (c.Display == "") == (c.Reason == "") {
			return t, fmt.Errorf("names.json: case %s needs exactly one of display and reason", c.Name())
		}
	}
	return t, nil
}
