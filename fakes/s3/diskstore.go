package s3

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/devenv-sh/devenv/internal/atomicfile"
)

// DiskStore is a [Store] that keeps everything under one directory, so
// objects survive a restart. Every write goes to a temporary file that is
// synced and then renamed into place: after a crash an object is either the
// old version or the new one, never a mix. Metadata of all objects is also
// kept in memory, loaded when the store is opened.
//
// Layout under the root:
//
//	buckets/<bucket>/bucket.json          the bucket's BucketInfo
//	buckets/<bucket>/<sha256(key)>.obj    object bytes, then its ObjectInfo (see below)
//	uploads/<upload id>/upload.json       a pending multipart upload's UploadInfo
//	uploads/<upload id>/<part>.part       part bytes, then its PartInfo
//	tmp/                                  files being written; emptied on open
//
// An .obj or .part file is the data, then the JSON metadata, then an 8-byte
// trailer: the metadata length (uint32, big-endian) and the magic "DVS3".
type DiskStore struct {
	root    string
	mu      sync.RWMutex
	buckets map[string]*bucketIndex[ObjectInfo]
	uploads map[string]UploadInfo
	// parts indexes the parts of each upload by ID then number, so that
	// listing them (which the server does for every UploadPart) reads no
	// file.
	parts map[string]map[int]PartInfo
}

var _ Store = (*DiskStore)(nil)

const fileMagic = "DVS3"

// OpenDiskStore opens (creating it if needed) the store under dir and loads
// its index.
func OpenDiskStore(dir string) (*DiskStore, error) {
	s := &DiskStore{root: dir}
	for _, d := range []string{s.bucketsDir(), s.uploadsDir(), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open disk store %s: %w", dir, err)
		}
	}
	if err := os.RemoveAll(s.tmpDir()); err != nil {
		return nil, fmt.Errorf("open disk store %s: clear tmp: %w", dir, err)
	}
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return nil, fmt.Errorf("open disk store %s: %w", dir, err)
	}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("open disk store %s: %w", dir, err)
	}
	return s, nil
}

func (s *DiskStore) bucketsDir() string { return filepath.Join(s.root, "buckets") }
func (s *DiskStore) uploadsDir() string { return filepath.Join(s.root, "uploads") }
func (s *DiskStore) tmpDir() string     { return filepath.Join(s.root, "tmp") }

func (s *DiskStore) bucketDir(bucket string) string { return filepath.Join(s.bucketsDir(), bucket) }

func (s *DiskStore) objectPath(bucket, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(s.bucketDir(bucket), hex.EncodeToString(sum[:])+".obj")
}

func (s *DiskStore) uploadDir(id string) string { return filepath.Join(s.uploadsDir(), id) }

func (s *DiskStore) partPath(id string, n int) string {
	return filepath.Join(s.uploadDir(id), fmt.Sprintf("%05d.part", n))
}

// load builds the in-memory index from the files.
func (s *DiskStore) load() error {
	s.buckets = make(map[string]*bucketIndex[ObjectInfo])
	s.uploads = make(map[string]UploadInfo)
	s.parts = make(map[string]map[int]PartInfo)
	dirs, err := os.ReadDir(s.bucketsDir())
	if err != nil {
		return err
	}
	for _, d := range dirs {
		var info BucketInfo
		if err := readJSON(filepath.Join(s.bucketDir(d.Name()), "bucket.json"), &info); err != nil {
			return err
		}
		b := newBucketIndex[ObjectInfo](info)
		files, err := filepath.Glob(filepath.Join(s.bucketDir(d.Name()), "*.obj"))
		if err != nil {
			return err
		}
		for _, f := range files {
			var o ObjectInfo
			if err := readTrailer(f, &o); err != nil {
				return err
			}
			b.put(o.Key, o)
		}
		s.buckets[info.Name] = b
	}
	ups, err := os.ReadDir(s.uploadsDir())
	if err != nil {
		return err
	}
	for _, d := range ups {
		var u UploadInfo
		if err := readJSON(filepath.Join(s.uploadDir(d.Name()), "upload.json"), &u); err != nil {
			return err
		}
		parts, err := s.readParts(u.ID)
		if err != nil {
			return err
		}
		s.uploads[u.ID] = u
		s.parts[u.ID] = parts
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// readTrailer reads the metadata at the end of an .obj or .part file.
func readTrailer(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = readMeta(f, path, v)
	return err
}

// readMeta decodes the metadata of an open .obj or .part file and returns
// the length of its data.
func readMeta(f *os.File, path string, v any) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	var tr [8]byte
	if st.Size() < 8 {
		return 0, fmt.Errorf("read %s: file too short for its trailer", path)
	}
	if _, err := f.ReadAt(tr[:], st.Size()-8); err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	if string(tr[4:]) != fileMagic {
		return 0, fmt.Errorf("read %s: bad trailer magic %q", path, tr[4:])
	}
	n := int64(binary.BigEndian.Uint32(tr[:4]))
	dataLen := st.Size() - 8 - n
	if dataLen < 0 {
		return 0, fmt.Errorf("read %s: metadata length %d exceeds file", path, n)
	}
	meta := make([]byte, n)
	if _, err := f.ReadAt(meta, dataLen); err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(meta, v); err != nil {
		return 0, fmt.Errorf("decode metadata of %s: %w", path, err)
	}
	return dataLen, nil
}

// writeFile writes data (from r) then meta into a synced temporary file and
// returns its path; the caller renames it into place or removes it. meta is
// called after r returned io.EOF.
func (s *DiskStore) writeFile(r io.Reader, meta func() any) (string, error) {
	f, err := os.CreateTemp(s.tmpDir(), "w-*")
	if err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := io.Copy(f, r); err != nil {
		return "", err
	}
	b, err := json.Marshal(meta())
	if err != nil {
		return "", err
	}
	var tr [8]byte
	binary.BigEndian.PutUint32(tr[:4], uint32(len(b)))
	copy(tr[4:], fileMagic)
	if _, err := f.Write(append(b, tr[:]...)); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	ok = true
	return f.Name(), nil
}

// commit renames a synced temporary file or directory into place and syncs
// the parent directory.
func commit(tmp, dst string) error {
	if err := os.Rename(tmp, dst); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(dst))
}

// discard moves a file or directory out of the way atomically, then
// deletes it.
func (s *DiskStore) discard(path string) error {
	tmp, err := os.MkdirTemp(s.tmpDir(), "rm-*")
	if err != nil {
		return err
	}
	if err := os.Rename(path, filepath.Join(tmp, "x")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		return err
	}
	return os.RemoveAll(tmp)
}

// ListBuckets implements [Store].
func (s *DiskStore) ListBuckets(context.Context) ([]BucketInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedBuckets(s.buckets), nil
}

// CreateBucket implements [Store].
func (s *DiskStore) CreateBucket(_ context.Context, b BucketInfo) error {
	if !validBucketName(b.Name) { // the name becomes a directory
		return ErrInvalidBucketName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[b.Name]; ok {
		return ErrBucketAlreadyOwnedByYou
	}
	tmp, err := os.MkdirTemp(s.tmpDir(), "b-*")
	if err != nil {
		return err
	}
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	if err := writeSynced(filepath.Join(tmp, "bucket.json"), data); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := commit(tmp, s.bucketDir(b.Name)); err != nil {
		return fmt.Errorf("create bucket %s: %w", b.Name, err)
	}
	s.buckets[b.Name] = newBucketIndex[ObjectInfo](b)
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// HeadBucket implements [Store].
func (s *DiskStore) HeadBucket(_ context.Context, bucket string) (BucketInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return BucketInfo{}, ErrNoSuchBucket
	}
	return b.info, nil
}

// SetBucketACL implements [Store]: bucket.json is replaced by a synced
// copy.
func (s *DiskStore) SetBucketACL(_ context.Context, bucket, acl string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	info := b.info
	info.ACL = acl
	data, err := json.Marshal(info)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.tmpDir(), "b-*.json")
	if err != nil {
		return err
	}
	f.Close()
	if err := writeSynced(f.Name(), data); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := commit(f.Name(), filepath.Join(s.bucketDir(bucket), "bucket.json")); err != nil {
		return fmt.Errorf("set bucket acl %s: %w", bucket, err)
	}
	b.info = info
	return nil
}

// DeleteBucket implements [Store].
func (s *DiskStore) DeleteBucket(_ context.Context, bucket string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	if len(b.objects) > 0 {
		return ErrBucketNotEmpty
	}
	for id, u := range s.uploads {
		if u.Bucket == bucket {
			if err := s.discard(s.uploadDir(id)); err != nil {
				return fmt.Errorf("delete bucket %s: upload %s: %w", bucket, id, err)
			}
			delete(s.uploads, id)
			delete(s.parts, id)
		}
	}
	if err := s.discard(s.bucketDir(bucket)); err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	delete(s.buckets, bucket)
	return nil
}

// ListObjects implements [Store].
func (s *DiskStore) ListObjects(_ context.Context, bucket, prefix, after string, fn func(ObjectInfo) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	b.list(prefix, after, func(_ string, o ObjectInfo) bool { return fn(o) })
	return nil
}

// checkKeyEncoding refuses keys that JSON metadata cannot keep: a key that
// is not UTF-8 would be read back as another key after a restart.
func checkKeyEncoding(key string) error {
	if !utf8.ValidString(key) {
		return fmt.Errorf("key %q is not UTF-8", key)
	}
	return nil
}

// PutObject implements [Store].
func (s *DiskStore) PutObject(ctx context.Context, bucket string, info ObjectInfo, content Content) (ObjectInfo, error) {
	return s.putObject(ctx, bucket, info, content, writeCondition{})
}

// PutObjectIfAbsent implements [Store].
func (s *DiskStore) PutObjectIfAbsent(ctx context.Context, bucket string, info ObjectInfo, content Content) (ObjectInfo, error) {
	return s.putObject(ctx, bucket, info, content, writeCondition{absent: true})
}

// PutObjectIfMatch implements [Store].
func (s *DiskStore) PutObjectIfMatch(ctx context.Context, bucket string, info ObjectInfo, content Content, etags string) (ObjectInfo, error) {
	return s.putObject(ctx, bucket, info, content, writeCondition{match: etags})
}

func (s *DiskStore) putObject(ctx context.Context, bucket string, info ObjectInfo, content Content, cond writeCondition) (ObjectInfo, error) {
	if err := checkKeyEncoding(info.Key); err != nil {
		return ObjectInfo{}, fmt.Errorf("put object %s: %w", bucket, err)
	}
	if _, err := s.HeadBucket(ctx, bucket); err != nil {
		return ObjectInfo{}, err
	}
	tmp, err := s.writeFile(content, func() any {
		d := content.Digest()
		info.Size, info.ETag, info.Checksum = d.Size, d.ETag, d.Checksum
		return info
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		os.Remove(tmp)
		return ObjectInfo{}, ErrNoSuchBucket
	}
	if old, exists := b.objects[info.Key]; !cond.holds(exists, func() string { return old.ETag }) {
		os.Remove(tmp)
		return ObjectInfo{}, ErrPreconditionFailed
	}
	if err := commit(tmp, s.objectPath(bucket, info.Key)); err != nil {
		return ObjectInfo{}, fmt.Errorf("put object %s/%s: %w", bucket, info.Key, err)
	}
	b.put(info.Key, info)
	return info, nil
}

// GetObject implements [Store].
func (s *DiskStore) GetObject(_ context.Context, bucket, key string) (ObjectInfo, ObjectReader, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.exists(bucket, key); err != nil {
		return ObjectInfo{}, nil, err
	}
	path := s.objectPath(bucket, key)
	f, err := os.Open(path)
	if err != nil {
		return ObjectInfo{}, nil, fmt.Errorf("get object %s/%s: %w", bucket, key, err)
	}
	var info ObjectInfo
	n, err := readMeta(f, path, &info)
	if err != nil {
		f.Close()
		return ObjectInfo{}, nil, err
	}
	return info, &fileObject{SectionReader: io.NewSectionReader(f, 0, n), f: f}, nil
}

type fileObject struct {
	*io.SectionReader
	f *os.File
}

func (o *fileObject) Close() error { return o.f.Close() }

func (s *DiskStore) exists(bucket, key string) error {
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	if _, ok := b.objects[key]; !ok {
		return ErrNoSuchKey
	}
	return nil
}

// HeadObject implements [Store].
func (s *DiskStore) HeadObject(_ context.Context, bucket, key string) (ObjectInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.exists(bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	return s.buckets[bucket].objects[key], nil
}

// SetObjectACL implements [Store]: the object's file is replaced by a
// synced copy with the new metadata.
func (s *DiskStore) SetObjectACL(ctx context.Context, bucket, key, etag, acl string) error {
	info, rd, err := s.GetObject(ctx, bucket, key)
	if err != nil {
		return err
	}
	defer rd.Close()
	if info.ETag != etag {
		return ErrPreconditionFailed
	}
	info.ACL = acl
	tmp, err := s.writeFile(rd, func() any { return info })
	if err != nil {
		return fmt.Errorf("set object acl %s/%s: %w", bucket, key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.exists(bucket, key); err != nil {
		os.Remove(tmp)
		return err
	}
	if cur := s.buckets[bucket].objects[key]; cur.ETag != etag || !cur.LastModified.Equal(info.LastModified) {
		os.Remove(tmp)
		return ErrPreconditionFailed // replaced meanwhile
	}
	if err := commit(tmp, s.objectPath(bucket, key)); err != nil {
		return fmt.Errorf("set object acl %s/%s: %w", bucket, key, err)
	}
	s.buckets[bucket].put(key, info)
	return nil
}

// DeleteObject implements [Store].
func (s *DiskStore) DeleteObject(_ context.Context, bucket, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return ErrNoSuchBucket
	}
	if _, ok := b.objects[key]; !ok {
		return nil
	}
	if err := os.Remove(s.objectPath(bucket, key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete object %s/%s: %w", bucket, key, err)
	}
	if err := atomicfile.SyncDir(s.bucketDir(bucket)); err != nil {
		return fmt.Errorf("delete object %s/%s: %w", bucket, key, err)
	}
	b.remove(key)
	return nil
}

// validUploadID keeps upload IDs usable as directory names: the server makes
// them hex, and anything else cannot name an upload.
func validUploadID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// CreateUpload implements [Store].
func (s *DiskStore) CreateUpload(_ context.Context, u UploadInfo) error {
	if !validUploadID(u.ID) {
		return fmt.Errorf("create upload: invalid upload id %q", u.ID)
	}
	if err := checkKeyEncoding(u.Key); err != nil {
		return fmt.Errorf("create upload %s: %w", u.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[u.Bucket]; !ok {
		return ErrNoSuchBucket
	}
	tmp, err := os.MkdirTemp(s.tmpDir(), "u-*")
	if err != nil {
		return err
	}
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	if err := writeSynced(filepath.Join(tmp, "upload.json"), data); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := commit(tmp, s.uploadDir(u.ID)); err != nil {
		return fmt.Errorf("create upload %s: %w", u.ID, err)
	}
	s.uploads[u.ID] = u
	s.parts[u.ID] = make(map[int]PartInfo)
	return nil
}

// upload returns the upload with that ID for bucket and key; the caller
// holds the lock.
func (s *DiskStore) upload(bucket, key, id string) (UploadInfo, error) {
	u, ok := s.uploads[id]
	if !ok || u.Bucket != bucket || u.Key != key {
		return UploadInfo{}, ErrNoSuchUpload
	}
	return u, nil
}

// PutPart implements [Store].
func (s *DiskStore) PutPart(_ context.Context, bucket, key, uploadID string, p PartInfo, content Content) (PartInfo, error) {
	s.mu.RLock()
	_, err := s.upload(bucket, key, uploadID)
	s.mu.RUnlock()
	if err != nil {
		return PartInfo{}, err
	}
	tmp, err := s.writeFile(content, func() any {
		d := content.Digest()
		p.Size, p.ETag, p.Checksum = d.Size, d.ETag, d.Checksum
		return p
	})
	if err != nil {
		return PartInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.upload(bucket, key, uploadID); err != nil {
		os.Remove(tmp)
		return PartInfo{}, err
	}
	if err := commit(tmp, s.partPath(uploadID, p.Number)); err != nil {
		return PartInfo{}, fmt.Errorf("put part %d of upload %s: %w", p.Number, uploadID, err)
	}
	s.parts[uploadID][p.Number] = p
	return p, nil
}

// readParts reads the part files of an upload, when opening the store.
func (s *DiskStore) readParts(id string) (map[int]PartInfo, error) {
	files, err := filepath.Glob(filepath.Join(s.uploadDir(id), "*.part"))
	if err != nil {
		return nil, err
	}
	parts := make(map[int]PartInfo, len(files))
	for _, f := range files {
		var p PartInfo
		if err := readTrailer(f, &p); err != nil {
			return nil, err
		}
		parts[p.Number] = p
	}
	return parts, nil
}

// ListParts implements [Store].
func (s *DiskStore) ListParts(_ context.Context, bucket, key, uploadID string) (UploadInfo, []PartInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return UploadInfo{}, nil, err
	}
	parts := make([]PartInfo, 0, len(s.parts[uploadID]))
	for _, p := range s.parts[uploadID] {
		parts = append(parts, p)
	}
	slices.SortFunc(parts, func(a, b PartInfo) int { return cmp.Compare(a.Number, b.Number) })
	return u, parts, nil
}

// CompleteUpload implements [Store]. The parts are copied into the new
// object without holding the lock; only the final rename takes it.
func (s *DiskStore) CompleteUpload(_ context.Context, bucket, uploadID string, parts []PartInfo, info ObjectInfo) (ObjectInfo, error) {
	s.mu.RLock()
	_, err := s.upload(bucket, info.Key, uploadID)
	s.mu.RUnlock()
	if err != nil {
		return ObjectInfo{}, err
	}
	var readers []io.Reader
	for _, want := range parts {
		f, err := os.Open(s.partPath(uploadID, want.Number))
		if errors.Is(err, fs.ErrNotExist) {
			return ObjectInfo{}, ErrInvalidPart
		}
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("complete upload %s: %w", uploadID, err)
		}
		defer f.Close()
		var p PartInfo
		size, err := readMeta(f, f.Name(), &p)
		if err != nil {
			return ObjectInfo{}, err
		}
		if p.ETag != want.ETag {
			return ObjectInfo{}, ErrInvalidPart
		}
		readers = append(readers, io.NewSectionReader(f, 0, size))
	}
	tmp, err := s.writeFile(io.MultiReader(readers...), func() any { return info })
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("complete upload %s: %w", uploadID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if _, err := s.upload(bucket, info.Key, uploadID); err != nil || !ok {
		os.Remove(tmp)
		if err == nil {
			err = ErrNoSuchBucket
		}
		return ObjectInfo{}, err
	}
	if err := commit(tmp, s.objectPath(bucket, info.Key)); err != nil {
		return ObjectInfo{}, fmt.Errorf("complete upload %s: %w", uploadID, err)
	}
	b.put(info.Key, info)
	delete(s.uploads, uploadID)
	delete(s.parts, uploadID)
	if err := s.discard(s.uploadDir(uploadID)); err != nil {
		return ObjectInfo{}, fmt.Errorf("complete upload %s: remove parts: %w", uploadID, err)
	}
	return info, nil
}

// AbortUpload implements [Store].
func (s *DiskStore) AbortUpload(_ context.Context, bucket, key, uploadID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.upload(bucket, key, uploadID); err != nil {
		return err
	}
	if err := s.discard(s.uploadDir(uploadID)); err != nil {
		return fmt.Errorf("abort upload %s: %w", uploadID, err)
	}
	delete(s.uploads, uploadID)
	delete(s.parts, uploadID)
	return nil
}

// ListUploads implements [Store].
func (s *DiskStore) ListUploads(_ context.Context, bucket string) ([]UploadInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.buckets[bucket]; !ok {
		return nil, ErrNoSuchBucket
	}
	var out []UploadInfo
	for _, u := range s.uploads {
		if u.Bucket == bucket {
			out = append(out, u)
		}
	}
	sortUploads(out)
	return out, nil
}

// Reset implements [Store].
func (s *DiskStore) Reset(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range []string{s.bucketsDir(), s.uploadsDir()} {
		if err := s.discard(d); err != nil {
			return fmt.Errorf("reset disk store %s: %w", s.root, err)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("reset disk store %s: %w", s.root, err)
		}
	}
	s.buckets = make(map[string]*bucketIndex[ObjectInfo])
	s.uploads = make(map[string]UploadInfo)
	s.parts = make(map[string]map[int]PartInfo)
	return nil
}
