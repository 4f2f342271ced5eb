//go:build !windows

package main

import (
	"fmt"
	"os"
)

// fatal reports an error the program stops on.
func fatal(msg string) { fmt.Fprintln(os.Stderr, msg) }
