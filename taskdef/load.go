package taskdef

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/devenv-sh/devenv/internal/fieldpath"
)

// Load decodes the task definitions named by paths in fsys. A path is a file,
// or a folder whose *.json files (not its subfolders) are loaded in name
// order; paths are slash-separated and relative to the root of fsys ("./" and
// a trailing "/" are fine). A file named twice is loaded once. Each Def's File
// is the path as given, joined with the file name for folders
// ("taskdefs" → "taskdefs/api-server.json").
//
// Load reports the errors of every file at once: an errors.Join of
// *fieldpath.FieldError naming file, container and field. On error it returns
// no definitions.
func Load(fsys fs.FS, paths ...string) ([]Def, error) {
	if len(paths) == 0 {
		return nil, fieldpath.Invalidf("load task definitions: no path given; name a task definition file or folder")
	}
	named := make([][2]string, len(paths))
	for i, p := range paths {
		named[i] = [2]string{p, p}
	}
	return load(fsys, named)
}

// LoadAs is Load of one path p in fsys, with the files named after display
// instead of p in errors and Defs: for a task definition outside the
// project, read from its own folder but shown as the user gave it
// (LoadAs(os.DirFS("/srv/defs"), "x.json", "../defs/x.json")).
func LoadAs(fsys fs.FS, p, display string) ([]Def, error) {
	return load(fsys, [][2]string{{p, display}})
}

// load loads each {path, display} pair.
func load(fsys fs.FS, paths [][2]string) ([]Def, error) {
	var (
		defs []Def
		errs []error
		seen = map[string]bool{}
	)
	for _, pd := range paths {
		files, err := expand(fsys, pd[0], pd[1])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			if seen[f.name] {
				continue
			}
			seen[f.name] = true
			data, err := fs.ReadFile(fsys, f.name)
			if err != nil {
				errs = append(errs, fieldpath.At(f.display, fieldpath.Path{}, fmt.Errorf("read task definition: %w", err)))
				continue
			}
			def, err := Decode(f.display, data)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			defs = append(defs, def)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return defs, nil
}

// file is a file to load: its name in the fs.FS and as shown to the user.
type file struct {
	name, display string
}

// expand resolves p to the files it names, shown under display.
func expand(fsys fs.FS, p, display string) ([]file, error) {
	name := path.Clean(strings.TrimPrefix(p, "./"))
	info, err := fs.Stat(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fieldpath.At(display, fieldpath.Path{}, fieldpath.Invalidf("no such file or folder; check the path"))
	}
	if err != nil {
		return nil, fieldpath.At(display, fieldpath.Path{}, fmt.Errorf("open task definitions: %w", err))
	}
	if !info.IsDir() {
		return []file{{name: name, display: display}}, nil
	}
	entries, err := fs.ReadDir(fsys, name) // sorted by name
	if err != nil {
		return nil, fieldpath.At(display, fieldpath.Path{}, fmt.Errorf("list task definitions: %w", err))
	}
	var files []file
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".json" {
			continue
		}
		files = append(files, file{name: path.Join(name, e.Name()), display: path.Join(display, e.Name())})
	}
	if len(files) == 0 {
		return nil, fieldpath.At(display, fieldpath.Path{}, fieldpath.Invalidf("folder holds no *.json files; put task definitions there or name a file"))
	}
	return files, nil
}
