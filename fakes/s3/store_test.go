package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// testContent is a Content over fixed bytes, optionally failing at the end
// as a body with a bad checksum does.
type testContent struct {
	r    *bytes.Reader
	data []byte
	fail error
}

func newTestContent(data string, fail error) *testContent {
	return &testContent{r: bytes.NewReader([]byte(data)), data: []byte(data), fail: fail}
}

func (c *testContent) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, io.EOF) && c.fail != nil {
		return n, c.fail
	}
	return n, err
}

func (c *testContent) Size() int64 { return int64(len(c.data)) }

func (c *testContent) Digest() Digest {
	sum := md5.Sum(c.data)
	return Digest{Size: int64(len(c.data)), ETag: `"` + hex.EncodeToString(sum[:]) + `"`,
		Checksum: Checksum{Algorithm: "CRC64NVME", Value: defaultChecksum.sum(c.data), Type: "FULL_OBJECT"}}
}

// stores runs fn against every Store implementation.
func stores(t *testing.T, fn func(t *testing.T, s Store)) {
	t.Run("mem", func(t *testing.T) { fn(t, NewMemStore()) })
	t.Run("disk", func(t *testing.T) {
		s, err := OpenDiskStore(t.TempDir())
		assert.NilError(t, err)
		fn(t, s)
	})
}

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func readAll(t *testing.T, s Store, bucket, key string) string {
	t.Helper()
	_, rd, err := s.GetObject(context.Background(), bucket, key)
	assert.NilError(t, err)
	defer rd.Close()
	b, err := io.ReadAll(rd)
	assert.NilError(t, err)
	return string(b)
}

func TestStoreContract(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := t.Context()
		_, err := s.HeadBucket(ctx, "logs")
		assert.Assert(t, errors.Is(err, ErrNoSuchBucket))
		_, err = s.PutObject(ctx, "logs", ObjectInfo{Key: "k"}, newTestContent("x", nil))
		assert.Assert(t, errors.Is(err, ErrNoSuchBucket))
		assert.Assert(t, errors.Is(s.DeleteObject(ctx, "logs", "k"), ErrNoSuchBucket))
		assert.Assert(t, errors.Is(s.ListObjects(ctx, "logs", "", "", func(ObjectInfo) bool { return true }), ErrNoSuchBucket))

		assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "logs", Created: t0}))
		assert.Assert(t, errors.Is(s.CreateBucket(ctx, BucketInfo{Name: "logs", Created: t0}), ErrBucketAlreadyOwnedByYou))
		assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "another", Created: t0}))
		bs, err := s.ListBuckets(ctx)
		assert.NilError(t, err)
		assert.DeepEqual(t, bs, []BucketInfo{{Name: "another", Created: t0}, {Name: "logs", Created: t0}})

		for _, k := range []string{"b/2", "a", "b/1", "c"} {
			info, err := s.PutObject(ctx, "logs", ObjectInfo{Key: k, LastModified: t0, Metadata: map[string]string{"m": k}}, newTestContent("data-"+k, nil))
			assert.NilError(t, err)
			assert.Equal(t, info.Size, int64(len("data-"+k)))
		}
		info, err := s.HeadObject(ctx, "logs", "b/1")
		assert.NilError(t, err)
		assert.Equal(t, info.Metadata["m"], "b/1")
		assert.Equal(t, info.Checksum.Algorithm, "CRC64NVME")
		_, err = s.HeadObject(ctx, "logs", "zz")
		assert.Assert(t, errors.Is(err, ErrNoSuchKey))
		assert.Equal(t, readAll(t, s, "logs", "c"), "data-c")

		list := func(prefix, after string, limit int) []string {
			var keys []string
			assert.NilError(t, s.ListObjects(ctx, "logs", prefix, after, func(o ObjectInfo) bool {
				keys = append(keys, o.Key)
				return len(keys) < limit
			}))
			return keys
		}
		assert.DeepEqual(t, list("", "", 10), []string{"a", "b/1", "b/2", "c"})
		assert.DeepEqual(t, list("b/", "", 10), []string{"b/1", "b/2"})
		assert.DeepEqual(t, list("", "b/1", 10), []string{"b/2", "c"})
		assert.DeepEqual(t, list("", "", 2), []string{"a", "b/1"})
		assert.DeepEqual(t, list("b/", "b/2", 10), []string(nil))

		// A failing read keeps the previous version.
		_, err = s.PutObject(ctx, "logs", ObjectInfo{Key: "c"}, newTestContent("partial", ErrBadDigest))
		assert.Assert(t, errors.Is(err, ErrBadDigest))
		assert.Equal(t, readAll(t, s, "logs", "c"), "data-c")
		_, err = s.PutObject(ctx, "logs", ObjectInfo{Key: "new"}, newTestContent("partial", ErrIncompleteBody))
		assert.Assert(t, errors.Is(err, ErrIncompleteBody))
		_, err = s.HeadObject(ctx, "logs", "new")
		assert.Assert(t, errors.Is(err, ErrNoSuchKey))

		// A reader keeps its version after the object is replaced.
		_, rd, err := s.GetObject(ctx, "logs", "a")
		assert.NilError(t, err)
		_, err = s.PutObject(ctx, "logs", ObjectInfo{Key: "a"}, newTestContent("replaced", nil))
		assert.NilError(t, err)
		old, err := io.ReadAll(rd)
		assert.NilError(t, err)
		assert.NilError(t, rd.Close())
		assert.Equal(t, string(old), "data-a")
		assert.Equal(t, readAll(t, s, "logs", "a"), "replaced")

		assert.Assert(t, errors.Is(s.DeleteBucket(ctx, "logs"), ErrBucketNotEmpty))
		assert.NilError(t, s.DeleteObject(ctx, "logs", "a"))
		assert.NilError(t, s.DeleteObject(ctx, "logs", "a")) // absent: no error
		assert.DeepEqual(t, list("", "", 10), []string{"b/1", "b/2", "c"})
		assert.Assert(t, errors.Is(s.DeleteBucket(ctx, "missing"), ErrNoSuchBucket))
		assert.NilError(t, s.DeleteBucket(ctx, "another"))

		assert.NilError(t, s.Reset(ctx))
		bs, err = s.ListBuckets(ctx)
		assert.NilError(t, err)
		assert.Assert(t, is.Len(bs, 0))
	})
}

func TestStoreMultipartContract(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := t.Context()
		u := UploadInfo{ID: "abc123", Bucket: "mpu", Key: "obj", Initiated: t0, Object: ObjectInfo{Key: "obj", ContentType: "text/plain"}}
		assert.Assert(t, errors.Is(s.CreateUpload(ctx, u), ErrNoSuchBucket))
		assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "mpu", Created: t0}))
		assert.NilError(t, s.CreateUpload(ctx, u))

		_, err := s.PutPart(ctx, "mpu", "other-key", "abc123", PartInfo{Number: 1}, newTestContent("x", nil))
		assert.Assert(t, errors.Is(err, ErrNoSuchUpload))
		_, err = s.PutPart(ctx, "mpu", "obj", "nope", PartInfo{Number: 1}, newTestContent("x", nil))
		assert.Assert(t, errors.Is(err, ErrNoSuchUpload))
		for n, data := range map[int]string{2: "second,", 1: "first,", 3: "third"} {
			p, err := s.PutPart(ctx, "mpu", "obj", "abc123", PartInfo{Number: n, LastModified: t0}, newTestContent(data, nil))
			assert.NilError(t, err)
			assert.Equal(t, p.Size, int64(len(data)))
		}
		_, err = s.PutPart(ctx, "mpu", "obj", "abc123", PartInfo{Number: 3}, newTestContent("broken", ErrBadDigest))
		assert.Assert(t, errors.Is(err, ErrBadDigest))

		got, parts, err := s.ListParts(ctx, "mpu", "obj", "abc123")
		assert.NilError(t, err)
		assert.Equal(t, got.Object.ContentType, "text/plain")
		assert.Equal(t, len(parts), 3)
		assert.Equal(t, parts[0].Number, 1)
		assert.Equal(t, parts[2].Size, int64(len("third")))

		ups, err := s.ListUploads(ctx, "mpu")
		assert.NilError(t, err)
		assert.Equal(t, len(ups), 1)

		_, err = s.CompleteUpload(ctx, "mpu", "abc123", []PartInfo{parts[0], {Number: 4, ETag: parts[0].ETag}}, ObjectInfo{Key: "obj"})
		assert.Assert(t, errors.Is(err, ErrInvalidPart))
		// A part replaced after the caller listed it (and computed the
		// object's ETag and size from it) must not go into the object.
		replaced, err := s.PutPart(ctx, "mpu", "obj", "abc123", PartInfo{Number: 2, LastModified: t0}, newTestContent("SECOND,", nil))
		assert.NilError(t, err)
		_, err = s.CompleteUpload(ctx, "mpu", "abc123", parts, ObjectInfo{Key: "obj", Size: 18, ETag: `"x-3"`, PartSizes: []int64{6, 7, 5}})
		assert.Assert(t, errors.Is(err, ErrInvalidPart), "completed with a stale part list: %v", err)
		_, err = s.HeadObject(ctx, "mpu", "obj")
		assert.Assert(t, errors.Is(err, ErrNoSuchKey))
		parts[1] = replaced
		info, err := s.CompleteUpload(ctx, "mpu", "abc123", parts, ObjectInfo{Key: "obj", Size: 18, ETag: `"x-3"`, PartSizes: []int64{6, 7, 5}})
		assert.NilError(t, err)
		assert.Equal(t, info.ETag, `"x-3"`)
		assert.Equal(t, readAll(t, s, "mpu", "obj"), "first,SECOND,third")
		_, _, err = s.ListParts(ctx, "mpu", "obj", "abc123")
		assert.Assert(t, errors.Is(err, ErrNoSuchUpload))

		assert.NilError(t, s.CreateUpload(ctx, UploadInfo{ID: "def456", Bucket: "mpu", Key: "gone", Initiated: t0}))
		assert.Assert(t, errors.Is(s.AbortUpload(ctx, "mpu", "obj", "def456"), ErrNoSuchUpload))
		assert.NilError(t, s.AbortUpload(ctx, "mpu", "gone", "def456"))
		assert.Assert(t, errors.Is(s.AbortUpload(ctx, "mpu", "gone", "def456"), ErrNoSuchUpload))
	})
}

func TestDiskStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	s, err := OpenDiskStore(dir)
	assert.NilError(t, err)
	assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "keep", Created: t0}))
	_, err = s.PutObject(ctx, "keep", ObjectInfo{Key: "dir/a b+c.gz", LastModified: t0, ContentType: "application/x-gzip"}, newTestContent("payload", nil))
	assert.NilError(t, err)
	assert.NilError(t, s.CreateUpload(ctx, UploadInfo{ID: "up1", Bucket: "keep", Key: "big", Initiated: t0}))
	_, err = s.PutPart(ctx, "keep", "big", "up1", PartInfo{Number: 1}, newTestContent("part", nil))
	assert.NilError(t, err)

	s2, err := OpenDiskStore(dir)
	assert.NilError(t, err)
	info, err := s2.HeadObject(ctx, "keep", "dir/a b+c.gz")
	assert.NilError(t, err)
	assert.Equal(t, info.ContentType, "application/x-gzip")
	assert.Equal(t, info.LastModified, t0)
	assert.Equal(t, readAll(t, s2, "keep", "dir/a b+c.gz"), "payload")
	_, parts, err := s2.ListParts(ctx, "keep", "big", "up1")
	assert.NilError(t, err)
	assert.Equal(t, len(parts), 1)
}

func TestDiskStoreRejectsUnsafeNames(t *testing.T) {
	s, err := OpenDiskStore(t.TempDir())
	assert.NilError(t, err)
	ctx := t.Context()
	assert.Assert(t, errors.Is(s.CreateBucket(ctx, BucketInfo{Name: "../escape"}), ErrInvalidBucketName))
	assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "ok-bucket"}))
	assert.ErrorContains(t, s.CreateUpload(ctx, UploadInfo{ID: "../../x", Bucket: "ok-bucket", Key: "k"}), "invalid upload id")
	_, _, err = s.ListParts(ctx, "ok-bucket", "k", "../../x")
	assert.Assert(t, errors.Is(err, ErrNoSuchUpload))
	// The metadata is JSON, which cannot keep a key that is not UTF-8: it
	// would come back as another key after a restart.
	_, err = s.PutObject(ctx, "ok-bucket", ObjectInfo{Key: "bad\xffkey"}, newTestContent("x", nil))
	assert.ErrorContains(t, err, "not UTF-8")
	assert.ErrorContains(t, s.CreateUpload(ctx, UploadInfo{ID: "abc", Bucket: "ok-bucket", Key: "bad\xffkey"}), "not UTF-8")
	tmp, err := os.ReadDir(filepath.Join(s.root, "tmp"))
	assert.NilError(t, err)
	assert.Assert(t, is.Len(tmp, 0), "no temporary file may be left behind")
}

// Concurrent writers, readers and listers of the same keys must keep every
// read whole (run with -race).
func TestStoreConcurrentAccess(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := t.Context()
		assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "busy", Created: t0}))
		versions := []string{strings.Repeat("a", 3000), strings.Repeat("b", 5000)}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 25 {
					key := fmt.Sprintf("k%d", i%5)
					if _, err := s.PutObject(ctx, "busy", ObjectInfo{Key: key}, newTestContent(versions[(w+i)%2], nil)); err != nil {
						errs <- err
						return
					}
					_, rd, err := s.GetObject(ctx, "busy", key)
					if err != nil {
						errs <- err
						return
					}
					b, err := io.ReadAll(rd)
					rd.Close()
					if err != nil || (string(b) != versions[0] && string(b) != versions[1]) {
						errs <- fmt.Errorf("torn read of %s: %d bytes, %v", key, len(b), err)
						return
					}
					if err := s.ListObjects(ctx, "busy", "k", "", func(ObjectInfo) bool { return true }); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// Completing an in-memory upload must not copy the parts (an object of
// many gigabytes would be held twice, under the store's lock), and the
// object must read back whole, from any offset.
func TestMemStoreCompleteCopiesNothing(t *testing.T) {
	ctx := t.Context()
	s := NewMemStore()
	assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "mpu"}))
	assert.NilError(t, s.CreateUpload(ctx, UploadInfo{ID: "u1", Bucket: "mpu", Key: "big"}))
	var parts []PartInfo
	var whole []byte
	for n, fill := range []string{"a", "b", "c"} {
		data := strings.Repeat(fill, 4<<20)
		p, err := s.PutPart(ctx, "mpu", "big", "u1", PartInfo{Number: n + 1}, newTestContent(data, nil))
		assert.NilError(t, err)
		parts = append(parts, p)
		whole = append(whole, data...)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := s.CompleteUpload(ctx, "mpu", "u1", parts, ObjectInfo{Key: "big", Size: int64(len(whole))})
	runtime.ReadMemStats(&after)
	assert.NilError(t, err)
	assert.Assert(t, after.TotalAlloc-before.TotalAlloc < 1<<20, "completing allocated %d bytes", after.TotalAlloc-before.TotalAlloc)

	assert.Assert(t, readAll(t, s, "mpu", "big") == string(whole))
	_, rd, err := s.GetObject(ctx, "mpu", "big")
	assert.NilError(t, err)
	defer rd.Close()
	_, err = rd.Seek(4<<20-2, io.SeekStart)
	assert.NilError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(rd, buf)
	assert.NilError(t, err)
	assert.Equal(t, string(buf), "aabb", "a read across a part boundary")
}

func TestStorePutObjectIfMatch(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := t.Context()
		assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "cond", Created: t0}))
		_, err := s.PutObjectIfMatch(ctx, "cond", ObjectInfo{Key: "k"}, newTestContent("x", nil), "*")
		assert.Assert(t, errors.Is(err, ErrPreconditionFailed), "no object: %v", err)
		first, err := s.PutObject(ctx, "cond", ObjectInfo{Key: "k"}, newTestContent("first", nil))
		assert.NilError(t, err)
		second, err := s.PutObjectIfMatch(ctx, "cond", ObjectInfo{Key: "k"}, newTestContent("second", nil), `"other", `+first.ETag)
		assert.NilError(t, err)
		_, err = s.PutObjectIfMatch(ctx, "cond", ObjectInfo{Key: "k"}, newTestContent("third", nil), first.ETag)
		assert.Assert(t, errors.Is(err, ErrPreconditionFailed), "stale ETag: %v", err)
		assert.Equal(t, readAll(t, s, "cond", "k"), "second")
		_, err = s.PutObjectIfMatch(ctx, "cond", ObjectInfo{Key: "k"}, newTestContent("fourth", nil), strings.Trim(second.ETag, `"`))
		assert.NilError(t, err)
		assert.Equal(t, readAll(t, s, "cond", "k"), "fourth")
		_, err = s.PutObjectIfMatch(ctx, "nope", ObjectInfo{Key: "k"}, newTestContent("x", nil), "*")
		assert.Assert(t, errors.Is(err, ErrNoSuchBucket), "%v", err)
	})
}

func TestStorePutObjectIfAbsent(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := t.Context()
		assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "cond", Created: t0}))
		_, err := s.PutObjectIfAbsent(ctx, "cond", ObjectInfo{Key: "k"}, newTestContent("first", nil))
		assert.NilError(t, err)
		_, err = s.PutObjectIfAbsent(ctx, "cond", ObjectInfo{Key: "k"}, newTestContent("second", nil))
		assert.Assert(t, errors.Is(err, ErrPreconditionFailed), "%v", err)
		assert.Equal(t, readAll(t, s, "cond", "k"), "first")
		_, err = s.PutObjectIfAbsent(ctx, "nope", ObjectInfo{Key: "k"}, newTestContent("x", nil))
		assert.Assert(t, errors.Is(err, ErrNoSuchBucket), "%v", err)
	})
}

func TestStoreSetACLs(t *testing.T) {
	stores(t, func(t *testing.T, s Store) {
		ctx := t.Context()
		assert.NilError(t, s.CreateBucket(ctx, BucketInfo{Name: "acls", Created: t0}))
		assert.NilError(t, s.SetBucketACL(ctx, "acls", "public-read"))
		b, err := s.HeadBucket(ctx, "acls")
		assert.NilError(t, err)
		assert.Equal(t, b.ACL, "public-read")
		o, err := s.PutObject(ctx, "acls", ObjectInfo{Key: "k", LastModified: t0}, newTestContent("data", nil))
		assert.NilError(t, err)
		assert.NilError(t, s.SetObjectACL(ctx, "acls", "k", o.ETag, "authenticated-read"))
		got, err := s.HeadObject(ctx, "acls", "k")
		assert.NilError(t, err)
		assert.Equal(t, got.ACL, "authenticated-read")
		assert.Equal(t, got.ETag, o.ETag)
		assert.Assert(t, got.LastModified.Equal(t0))
		assert.Equal(t, readAll(t, s, "acls", "k"), "data")
		err = s.SetObjectACL(ctx, "acls", "k", `"stale"`, "private")
		assert.Assert(t, errors.Is(err, ErrPreconditionFailed), "%v", err)
		err = s.SetObjectACL(ctx, "acls", "missing", o.ETag, "private")
		assert.Assert(t, errors.Is(err, ErrNoSuchKey), "%v", err)
		assert.Assert(t, errors.Is(s.SetBucketACL(ctx, "nope", "private"), ErrNoSuchBucket))
		if ds, ok := s.(*DiskStore); ok {
			re, err := OpenDiskStore(ds.root)
			assert.NilError(t, err)
			b, err := re.HeadBucket(ctx, "acls")
			assert.NilError(t, err)
			assert.Equal(t, b.ACL, "public-read")
			got, err := re.HeadObject(ctx, "acls", "k")
			assert.NilError(t, err)
			assert.Equal(t, got.ACL, "authenticated-read")
			assert.Equal(t, readAll(t, re, "acls", "k"), "data")
		}
	})
}
