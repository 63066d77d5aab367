package s3

import (
	"context"
	"io"
	"time"
)

// Store holds the buckets, objects and multipart uploads of the fake. The
// server validates names, parses and verifies request bodies, and computes
// ETags and checksums; a Store only keeps what it is given. Implementations
// must be safe for concurrent use.
//
// Errors: where a method's contract names an [ErrorCode], the Store MUST
// return that code (it may wrap it); the server renders it as S3 would. Any
// other error is answered as 500 InternalError.
type Store interface {
	// ListBuckets returns every bucket, sorted by name.
	ListBuckets(ctx context.Context) ([]BucketInfo, error)

	// CreateBucket creates an empty bucket. It MUST return
	// ErrBucketAlreadyOwnedByYou when a bucket of that name exists.
	CreateBucket(ctx context.Context, b BucketInfo) error

	// HeadBucket returns the bucket. It MUST return ErrNoSuchBucket when the
	// bucket does not exist.
	HeadBucket(ctx context.Context, bucket string) (BucketInfo, error)

	// SetBucketACL replaces the canned ACL of a bucket (BucketInfo.ACL). It
	// MUST return ErrNoSuchBucket when the bucket does not exist.
	SetBucketACL(ctx context.Context, bucket, acl string) error

	// DeleteBucket removes an empty bucket together with its pending multipart
	// uploads. It MUST return ErrNoSuchBucket when the bucket does not exist
	// and ErrBucketNotEmpty when it holds objects.
	DeleteBucket(ctx context.Context, bucket string) error

	// ListObjects calls fn with each object of bucket whose key starts with
	// prefix and sorts strictly after after (byte-wise), in key order, until
	// fn returns false or the objects run out. fn MUST NOT call the Store. It
	// MUST return ErrNoSuchBucket when the bucket does not exist.
	ListObjects(ctx context.Context, bucket, prefix, after string, fn func(ObjectInfo) bool) error

	// PutObject stores content under info.Key, replacing any object there,
	// and returns what it stored: info with Size, ETag and Checksum taken
	// from content.Digest(). It MUST read content to io.EOF before the object
	// becomes visible, and MUST leave any previous object untouched when
	// reading fails, returning the read error (wrapped or not). It MUST
	// return ErrNoSuchBucket when the bucket does not exist.
	PutObject(ctx context.Context, bucket string, info ObjectInfo, content Content) (ObjectInfo, error)

	// PutObjectIfAbsent is PutObject for a conditional write (If-None-Match:
	// *): it MUST return ErrPreconditionFailed, leaving the store unchanged,
	// when an object exists under info.Key at the moment the new one would
	// become visible, so that of concurrent creators only one succeeds.
	PutObjectIfAbsent(ctx context.Context, bucket string, info ObjectInfo, content Content) (ObjectInfo, error)

	// PutObjectIfMatch is PutObject for a conditional write (If-Match): it
	// MUST return ErrPreconditionFailed, leaving the store unchanged, unless
	// an object exists under info.Key whose ETag is one of etags (a
	// comma-separated list of quoted or bare ETags, or *) at the moment the
	// new one would become visible, so that of concurrent writers of one
	// version only one succeeds.
	PutObjectIfMatch(ctx context.Context, bucket string, info ObjectInfo, content Content, etags string) (ObjectInfo, error)

	// GetObject returns an object and a reader over its bytes, which the
	// caller MUST close. The reader keeps serving the bytes of this version
	// even if the object is replaced or deleted meanwhile. It MUST return
	// ErrNoSuchBucket when the bucket does not exist and ErrNoSuchKey when
	// the key does not.
	GetObject(ctx context.Context, bucket, key string) (ObjectInfo, ObjectReader, error)

	// HeadObject returns an object's metadata, with the errors of GetObject.
	HeadObject(ctx context.Context, bucket, key string) (ObjectInfo, error)

	// SetObjectACL replaces the canned ACL (ObjectInfo.ACL) of the object
	// under key whose ETag is etag, leaving its bytes and other metadata as
	// they are. It MUST return ErrNoSuchBucket and ErrNoSuchKey as GetObject
	// does, and ErrPreconditionFailed when the object's ETag is another (it
	// was replaced).
	SetObjectACL(ctx context.Context, bucket, key, etag, acl string) error

	// DeleteObject removes an object; removing a key that does not exist is
	// not an error (S3 answers 204 either way). It MUST return
	// ErrNoSuchBucket when the bucket does not exist.
	DeleteObject(ctx context.Context, bucket, key string) error

	// CreateUpload records a new multipart upload, whose ID the caller chose.
	// It MUST return ErrNoSuchBucket when the bucket does not exist.
	CreateUpload(ctx context.Context, u UploadInfo) error

	// PutPart stores content as part p.Number of an upload, replacing any
	// part of that number, and returns p with Size, ETag and Checksum taken
	// from content.Digest(). Reading rules are those of PutObject. It MUST
	// return ErrNoSuchUpload when no upload has that ID for bucket and key.
	PutPart(ctx context.Context, bucket, key, uploadID string, p PartInfo, content Content) (PartInfo, error)

	// ListParts returns an upload and its parts sorted by number. It MUST
	// return ErrNoSuchUpload when no upload has that ID for bucket and key.
	ListParts(ctx context.Context, bucket, key, uploadID string) (UploadInfo, []PartInfo, error)

	// CompleteUpload makes the object described by info (whose Size, ETag and
	// Checksum the caller computed from parts) from the given parts,
	// concatenated in the given order, and forgets the upload. Either the
	// object appears whole or nothing changes. It MUST return ErrNoSuchUpload
	// when no upload has that ID for bucket and key, and ErrInvalidPart when a
	// listed part is missing or its stored ETag is not the listed one (the
	// part was replaced since the caller read it).
	CompleteUpload(ctx context.Context, bucket, uploadID string, parts []PartInfo, info ObjectInfo) (ObjectInfo, error)

	// AbortUpload forgets an upload and its parts. It MUST return
	// ErrNoSuchUpload when no upload has that ID for bucket and key.
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error

	// ListUploads returns the pending uploads of a bucket sorted by key, then
	// initiation time. It MUST return ErrNoSuchBucket when the bucket does
	// not exist.
	ListUploads(ctx context.Context, bucket string) ([]UploadInfo, error)

	// Reset forgets every bucket, object and upload.
	Reset(ctx context.Context) error
}

// Content is the body of an object or part being written. Read returns
// io.EOF only once the whole body arrived and every integrity check passed
// (length, Content-MD5, x-amz-checksum-*, payload hash, chunk signatures);
// any other error means the write must be abandoned.
type Content interface {
	io.Reader
	// Size is the number of bytes the body declares, or -1 when unknown.
	// Use it only as a hint for allocation.
	Size() int64
	// Digest describes the bytes read. It is valid only after Read returned
	// io.EOF.
	Digest() Digest
}

// Digest describes the bytes of an object or part.
type Digest struct {
	Size     int64
	ETag     string // quoted hex MD5, as S3 returns it
	Checksum Checksum
}

// ObjectReader reads an object's bytes; Seek makes Range requests cheap.
type ObjectReader interface {
	io.ReadSeekCloser
}

// ObjectInfo is an object's metadata: everything S3 returns from HeadObject.
// The inspection API lists it with its bucket ([ObjectRecord]), in the JSON
// of fakeclient.S3Object.
type ObjectInfo struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	LastModified time.Time `json:"last_modified"`
	Checksum     Checksum  `json:"checksum,omitzero"`
	// PartSizes are the sizes of the parts of an object made by a
	// multipart upload, in order; GetObject's partNumber selects one.
	PartSizes []int64 `json:"part_sizes,omitempty"`

	ContentType        string `json:"content_type,omitempty"`
	ContentEncoding    string `json:"content_encoding,omitempty"`
	ContentDisposition string `json:"content_disposition,omitempty"`
	ContentLanguage    string `json:"content_language,omitempty"`
	CacheControl       string `json:"cache_control,omitempty"`
	Expires            string `json:"expires,omitempty"`
	StorageClass       string `json:"storage_class,omitempty"`
	// ACL is the object's canned ACL (x-amz-acl); empty for private.
	ACL string `json:"acl,omitempty"`
	// Metadata holds the x-amz-meta-* headers, keyed by the lowercase name
	// without the prefix.
	Metadata map[string]string `json:"metadata,omitempty"`
	// Headers holds other headers S3 stores and echoes, such as
	// x-amz-server-side-encryption and x-amz-tagging-count.
	Headers map[string]string `json:"headers,omitempty"`
}

// UploadInfo describes a pending multipart upload.
type UploadInfo struct {
	ID        string    `json:"id"`
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	Initiated time.Time `json:"initiated"`
	// ChecksumAlgorithm is the x-amz-checksum-algorithm of the upload.
	ChecksumAlgorithm string `json:"checksum_algorithm,omitempty"`
	// ChecksumType is COMPOSITE or FULL_OBJECT: how part checksums combine
	// into the object's.
	ChecksumType string `json:"checksum_type,omitempty"`
	// Object is the metadata the completed object will carry (Key, content
	// headers, user metadata, storage class).
	Object ObjectInfo `json:"object"`
}

// PartInfo describes one uploaded part.
type PartInfo struct {
	Number       int       `json:"number"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	LastModified time.Time `json:"last_modified"`
	Checksum     Checksum  `json:"checksum,omitzero"`
}

// writeCondition is the precondition of a conditional write, checked by a
// store as the new object would become visible.
type writeCondition struct {
	absent bool   // no object may exist (If-None-Match: *)
	match  string // when set, an object whose ETag is in this If-Match list must exist
}

// holds reports whether the condition holds given whether an object exists
// and, when it does, its ETag.
func (c writeCondition) holds(exists bool, etag func() string) bool {
	switch {
	case c.absent:
		return !exists
	case c.match != "":
		return exists && etagMatches(c.match, etag())
	}
	return true
}
