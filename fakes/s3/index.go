package s3

import (
	"slices"
	"sort"
	"strings"
)

// bucketIndex is the in-memory index of one bucket's objects, shared by the
// stores: a map by key plus a key list sorted on demand for listing.
type bucketIndex[T any] struct {
	info    BucketInfo
	objects map[string]T
	keys    []string // sorted when !dirty
	dirty   bool
}

func newBucketIndex[T any](info BucketInfo) *bucketIndex[T] {
	return &bucketIndex[T]{info: info, objects: make(map[string]T)}
}

// put records v under key.
func (b *bucketIndex[T]) put(key string, v T) {
	if _, ok := b.objects[key]; !ok {
		b.dirty = true
	}
	b.objects[key] = v
}

// remove forgets key and reports whether it was there.
func (b *bucketIndex[T]) remove(key string) (T, bool) {
	v, ok := b.objects[key]
	if ok {
		delete(b.objects, key)
		b.dirty = true
	}
	return v, ok
}

// sortKeys rebuilds the sorted key list.
func (b *bucketIndex[T]) sortKeys() {
	b.keys = b.keys[:0]
	for k := range b.objects {
		b.keys = append(b.keys, k)
	}
	slices.Sort(b.keys)
	b.dirty = false
}

// list calls fn for the keys that start with prefix and sort after after, in
// order, until fn returns false. It sorts the key list first when keys came
// or went since the last sort, so the caller holds the write lock.
func (b *bucketIndex[T]) list(prefix, after string, fn func(key string, v T) bool) {
	if b.dirty {
		b.sortKeys()
	}
	start := sort.SearchStrings(b.keys, prefix)
	if after >= prefix {
		start = sort.Search(len(b.keys), func(i int) bool { return b.keys[i] > after })
	}
	for _, k := range b.keys[start:] {
		if !strings.HasPrefix(k, prefix) {
			return
		}
		if !fn(k, b.objects[k]) {
			return
		}
	}
}

// sortedBuckets returns the infos of buckets sorted by name.
func sortedBuckets[T any](m map[string]*bucketIndex[T]) []BucketInfo {
	out := make([]BucketInfo, 0, len(m))
	for _, b := range m {
		out = append(out, b.info)
	}
	slices.SortFunc(out, func(a, b BucketInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}
