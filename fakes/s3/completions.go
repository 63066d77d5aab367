package s3

import (
	"slices"
	"sync"
)

// maxCompletions is how many completed multipart uploads the server
// remembers, so that a retried CompleteMultipartUpload (its answer lost)
// answers what the first did.
const maxCompletions = 1000

// completedPart is one part, as listed in a CompleteMultipartUpload.
type completedPart struct {
	number    int
	etag      string // unquoted
	checksums xmlChecksums
}

// completion is one CompleteMultipartUpload of an upload ID, in progress or
// done.
type completion struct {
	bucket, key string
	parts       []completedPart
	done        chan struct{} // closed once the outcome is known
	// Set before done is closed: the object made, or ok false when the
	// completion failed (and the record is dropped).
	object       ObjectInfo
	withChecksum bool // the answer carries the object's checksum
	ok           bool
}

// completions remembers the latest completed multipart uploads by ID. The
// zero value is ready.
type completions struct {
	mu    sync.Mutex
	byID  map[string]*completion
	order []string // IDs of successful completions, oldest first
}

// begin registers a completion of uploadID. When another one of the same ID
// is registered (in progress or done), it returns that one and false: the
// caller waits for it and answers its outcome.
func (cs *completions) begin(uploadID string, c *completion) (*completion, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if prev, ok := cs.byID[uploadID]; ok {
		return prev, false
	}
	if cs.byID == nil {
		cs.byID = make(map[string]*completion)
	}
	c.done = make(chan struct{})
	cs.byID[uploadID] = c
	return c, true
}

// lookup returns the completion of uploadID, or nil.
func (cs *completions) lookup(uploadID string) *completion {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.byID[uploadID]
}

// finish records the outcome of a completion begin registered: a
// successful one is kept (the oldest forgotten past maxCompletions), a
// failed one dropped so that the client can complete the upload again.
func (cs *completions) finish(uploadID string, c *completion, object ObjectInfo, withChecksum, ok bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c.object, c.withChecksum, c.ok = object, withChecksum, ok
	close(c.done)
	if cs.byID[uploadID] != c {
		return // forgotten by reset meanwhile
	}
	if !ok {
		delete(cs.byID, uploadID)
		return
	}
	cs.order = append(cs.order, uploadID)
	if len(cs.order) > maxCompletions {
		delete(cs.byID, cs.order[0])
		cs.order = slices.Delete(cs.order, 0, 1)
	}
}

// reset forgets every completion.
func (cs *completions) reset() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.byID, cs.order = nil, nil
}
