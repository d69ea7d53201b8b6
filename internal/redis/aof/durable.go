package aof

import (
	"fmt"
	"os"
	"path/filepath"
)

// syncDir fsyncs a directory so that renames, creations and removals in it
// survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}

// replaceFile makes dir/name hold data durably: it writes dir/tmpName,
// fsyncs it, renames it over dir/name and fsyncs dir. On error dir/name is
// untouched (the old or no file) and the temp file is removed.
func replaceFile(dir, tmpName, name string, data []byte) error {
	tmp := filepath.Join(dir, tmpName)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return syncDir(dir)
}

// writeManifest persists m in dir the way Redis's writeAofManifestFile does.
func writeManifest(dir, fileName string, m *Manifest) error {
	return replaceFile(dir, TempManifestName(fileName), ManifestName(fileName), m.Marshal())
}

// mkdirDurable creates dir when missing and fsyncs its parent so the new
// directory entry survives a crash.
func mkdirDurable(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("create dir %s: not a directory", dir)
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create dir %s: %w", dir, err)
	}
	return syncDir(filepath.Dir(dir))
}

// safeName reports whether name can be joined to the AOF directory without
// leaving it: a manifest accepts "", "." and ".." (they hold no '/'), but
// nothing must be created or removed under those.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && isBaseName(name)
}
