package td

import (
	"log/slog"
	"time"
)

// Config is what `devenv fake td` configures: the store and the modes.
type Config struct {
	DataDir    string           // keep data in this directory (DiskStore); empty keeps it in memory
	APIKeys    []string         // accepted keys; empty accepts any
	StrictTime bool             // reject imports with records lacking an integer time
	AutoCreate bool             // create a missing database or table on import instead of answering 404
	Logger     *slog.Logger     // nil discards
	Clock      func() time.Time // nil is time.Now
}

// Open builds a Server from cfg, opening (and replaying) the disk store when
// cfg.DataDir is set. Close the server to close its store.
func Open(cfg Config) (*Server, error) {
	var store Store = NewMemStore()
	if cfg.DataDir != "" {
		ds, err := OpenDiskStore(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		if n := ds.Recovered(); n > 0 && cfg.Logger != nil {
			cfg.Logger.Warn("td journal: cut off a torn last write (never acknowledged)", "dir", cfg.DataDir, "bytes", n)
		}
		store = ds
	}
	return New(store,
		WithAPIKeys(cfg.APIKeys...),
		WithStrictTime(cfg.StrictTime),
		WithAutoCreate(cfg.AutoCreate),
		WithLogger(cfg.Logger),
		WithClock(cfg.Clock),
	), nil
}
