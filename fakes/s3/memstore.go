package s3

import (
	"cmp"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
)

// MemStore is a [Store] that keeps everything in memory. The zero value is
// not ready; use [NewMemStore].
type MemStore struct {
	mu      sync.RWMutex
	buckets map[string]*bucketIndex[*memObject]
	uploads map[string]*memUpload
}

var _ Store = (*MemStore)(nil)

type memObject struct {
	info ObjectInfo
	data chunks // never modified once stored
}

// chunks are an object's bytes as a list of slices: one for a plain object,
// the parts' own slices for a multipart one, so completing an upload copies
// nothing.
type chunks [][]byte

// ReadAt implements io.ReaderAt over the concatenated slices.
func (c chunks) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for _, ch := range c {
		if off >= int64(len(ch)) {
			off -= int64(len(ch))
			continue
		}
		n += copy(p[n:], ch[off:])
		off = 0
		if n == len(p) {
			return n, nil
		}
	}
	return n, io.EOF
}

func (c chunks) size() int64 {
	var n int64
	for _, ch := range c {
		n += int64(len(ch))
	}
	return n
}

type memUpload struct {
	info  UploadInfo
	parts map[int]*memPart
}

type memPart struct {
	info PartInfo
	data []byte
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{
		buckets: make(map[string]*bucketIndex[*memObject]),
		uploads: make(map[string]*memUpload),
	}
}

// ListBuckets implements [Store].
func (s *MemStore) ListBuckets(context.Context) ([]BucketInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedBuckets(s.buckets), nil
}

// CreateBucket implements [Store].
func (s *MemStore) CreateBucket(_ context.Context, b BucketInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[b.Name]; ok {
		return ErrBucketAlreadyOwnedByYou
	}
	s.buckets[b.Name] = newBucketIndex[*memObject](b)
	return nil
}

// HeadBucket implements [Store].
func (s *MemStore) HeadBucket(_ context.Context, bucket string) (BucketInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return BucketInfo{}, ErrNoSuchBucket
	}
	return b.info, nil
}

// SetBucketACL implements [Store].
func (s *MemStore) SetBucketACL(_ context.Context, bucket, acl string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	b.info.ACL = acl
	return nil
}

// DeleteBucket implements [Store].
func (s *MemStore) DeleteBucket(_ context.Context, bucket string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	if len(b.objects) > 0 {
		return ErrBucketNotEmpty
	}
	delete(s.buckets, bucket)
	for id, u := range s.uploads {
		if u.info.Bucket == bucket {
			delete(s.uploads, id)
		}
	}
	return nil
}

// ListObjects implements [Store].
func (s *MemStore) ListObjects(_ context.Context, bucket, prefix, after string, fn func(ObjectInfo) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	b.list(prefix, after, func(_ string, o *memObject) bool { return fn(o.info) })
	return nil
}

// PutObject implements [Store].
func (s *MemStore) PutObject(ctx context.Context, bucket string, info ObjectInfo, content Content) (ObjectInfo, error) {
	return s.putObject(ctx, bucket, info, content, writeCondition{})
}

// PutObjectIfAbsent implements [Store].
func (s *MemStore) PutObjectIfAbsent(ctx context.Context, bucket string, info ObjectInfo, content Content) (ObjectInfo, error) {
	return s.putObject(ctx, bucket, info, content, writeCondition{absent: true})
}

// PutObjectIfMatch implements [Store].
func (s *MemStore) PutObjectIfMatch(ctx context.Context, bucket string, info ObjectInfo, content Content, etags string) (ObjectInfo, error) {
	return s.putObject(ctx, bucket, info, content, writeCondition{match: etags})
}

func (s *MemStore) putObject(ctx context.Context, bucket string, info ObjectInfo, content Content, cond writeCondition) (ObjectInfo, error) {
	if _, err := s.HeadBucket(ctx, bucket); err != nil {
		return ObjectInfo{}, err
	}
	data, err := readContent(content)
	if err != nil {
		return ObjectInfo{}, err
	}
	d := content.Digest()
	info.Size, info.ETag, info.Checksum = d.Size, d.ETag, d.Checksum
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ObjectInfo{}, ErrNoSuchBucket
	}
	if old, exists := b.objects[info.Key]; !cond.holds(exists, func() string { return old.info.ETag }) {
		return ObjectInfo{}, ErrPreconditionFailed
	}
	b.put(info.Key, &memObject{info: info, data: chunks{data}})
	return info, nil
}

// readContent reads content to io.EOF into a slice sized by its hint, so a
// body of the declared size takes exactly one allocation.
func readContent(content Content) ([]byte, error) {
	n := content.Size()
	if n < 0 || n > 64<<20 {
		n = 512
	}
	buf := make([]byte, 0, n)
	for {
		if len(buf) == cap(buf) {
			var probe [1]byte
			m, err := content.Read(probe[:])
			if m > 0 {
				buf = append(buf, probe[0])
			}
			if errors.Is(err, io.EOF) {
				return buf, nil
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		m, err := content.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// GetObject implements [Store].
func (s *MemStore) GetObject(_ context.Context, bucket, key string) (ObjectInfo, ObjectReader, error) {
	o, err := s.object(bucket, key)
	if err != nil {
		return ObjectInfo{}, nil, err
	}
	return o.info, memReader{io.NewSectionReader(o.data, 0, o.data.size())}, nil
}

type memReader struct{ *io.SectionReader }

func (memReader) Close() error { return nil }

// HeadObject implements [Store].
func (s *MemStore) HeadObject(_ context.Context, bucket, key string) (ObjectInfo, error) {
	o, err := s.object(bucket, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	return o.info, nil
}

func (s *MemStore) object(bucket, key string) (*memObject, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return nil, ErrNoSuchBucket
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, ErrNoSuchKey
	}
	return o, nil
}

// SetObjectACL implements [Store].
func (s *MemStore) SetObjectACL(_ context.Context, bucket, key, etag, acl string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	o, ok := b.objects[key]
	if !ok {
		return ErrNoSuchKey
	}
	if o.info.ETag != etag {
		return ErrPreconditionFailed
	}
	info := o.info
	info.ACL = acl
	b.put(key, &memObject{info: info, data: o.data})
	return nil
}

// DeleteObject implements [Store].
func (s *MemStore) DeleteObject(_ context.Context, bucket, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	b.remove(key)
	return nil
}

// CreateUpload implements [Store].
func (s *MemStore) CreateUpload(_ context.Context, u UploadInfo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[u.Bucket]; !ok {
		return ErrNoSuchBucket
	}
	s.uploads[u.ID] = &memUpload{info: u, parts: make(map[int]*memPart)}
	return nil
}

// upload returns the upload with that ID for bucket and key; the caller
// holds the lock.
func (s *MemStore) upload(bucket, key, id string) (*memUpload, error) {
	u, ok := s.uploads[id]
	if !ok || u.info.Bucket != bucket || u.info.Key != key {
		return nil, ErrNoSuchUpload
	}
	return u, nil
}

// PutPart implements [Store].
func (s *MemStore) PutPart(_ context.Context, bucket, key, uploadID string, p PartInfo, content Content) (PartInfo, error) {
	s.mu.RLock()
	_, err := s.upload(bucket, key, uploadID)
	s.mu.RUnlock()
	if err != nil {
		return PartInfo{}, err
	}
	data, err := readContent(content)
	if err != nil {
		return PartInfo{}, err
	}
	d := content.Digest()
	p.Size, p.ETag, p.Checksum = d.Size, d.ETag, d.Checksum
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return PartInfo{}, err
	}
	u.parts[p.Number] = &memPart{info: p, data: data}
	return p, nil
}

// ListParts implements [Store].
func (s *MemStore) ListParts(_ context.Context, bucket, key, uploadID string) (UploadInfo, []PartInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return UploadInfo{}, nil, err
	}
	parts := make([]PartInfo, 0, len(u.parts))
	for _, p := range u.parts {
		parts = append(parts, p.info)
	}
	slices.SortFunc(parts, func(a, b PartInfo) int { return cmp.Compare(a.Number, b.Number) })
	return u.info, parts, nil
}

// CompleteUpload implements [Store].
func (s *MemStore) CompleteUpload(_ context.Context, bucket, uploadID string, parts []PartInfo, info ObjectInfo) (ObjectInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.upload(bucket, info.Key, uploadID)
	if err != nil {
		return ObjectInfo{}, err
	}
	b, ok := s.buckets[bucket]
	if !ok {
		return ObjectInfo{}, ErrNoSuchBucket
	}
	data := make(chunks, 0, len(parts))
	for _, want := range parts {
		p, ok := u.parts[want.Number]
		if !ok || p.info.ETag != want.ETag {
			return ObjectInfo{}, ErrInvalidPart
		}
		data = append(data, p.data)
	}
	b.put(info.Key, &memObject{info: info, data: data})
	delete(s.uploads, uploadID)
	return info, nil
}

// AbortUpload implements [Store].
func (s *MemStore) AbortUpload(_ context.Context, bucket, key, uploadID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.upload(bucket, key, uploadID); err != nil {
		return err
	}
	delete(s.uploads, uploadID)
	return nil
}

// ListUploads implements [Store].
func (s *MemStore) ListUploads(_ context.Context, bucket string) ([]UploadInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.buckets[bucket]; !ok {
		return nil, ErrNoSuchBucket
	}
	var out []UploadInfo
	for _, u := range s.uploads {
		if u.info.Bucket == bucket {
			out = append(out, u.info)
		}
	}
	sortUploads(out)
	return out, nil
}

func sortUploads(us []UploadInfo) {
	slices.SortFunc(us, func(a, b UploadInfo) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return a.Initiated.Compare(b.Initiated)
	})
}

// Reset implements [Store].
func (s *MemStore) Reset(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets = make(map[string]*bucketIndex[*memObject])
	s.uploads = make(map[string]*memUpload)
	return nil
}
