package adapters

import "io/fs"

func subFS() (fs.FS, error) { return fs.Sub(migrationFiles, "migrations") }
