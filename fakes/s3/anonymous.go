package s3

import (
	"context"
	"errors"
	"net/http"
	"slices"
)

// anonymousBucketOps are the operations a canned ACL opens to callers who
// do not own the bucket through its grants to AllUsers or
// AuthenticatedUsers, with the permission each needs: READ lets them list,
// WRITE lets them create, overwrite and delete objects.
var anonymousBucketOps = map[string]string{
	opListObjects:             "READ",
	opListObjectsV2:           "READ",
	opListObjectVersions:      "READ",
	opListMultipartUploads:    "READ",
	opPutObject:               "WRITE",
	opDeleteObject:            "WRITE",
	opCreateMultipartUpload:   "WRITE",
	opUploadPart:              "WRITE",
	opCompleteMultipartUpload: "WRITE",
	opAbortMultipartUpload:    "WRITE",
}

// granted reports whether a canned ACL grants permission to everyone, or,
// for a signed caller, to every authenticated user.
func granted(acl, permission string, signed bool) bool {
	grants := cannedACLs[acl]
	return slices.Contains(grants, grant{allUsers, permission}) ||
		signed && slices.Contains(grants, grant{authenticatedUsers, permission})
}

// authorizeGuest decides a request by a caller who does not own the bucket
// (signed: another owner's access key; else anonymous), in S3's order: a
// missing bucket is NoSuchBucket for anyone; then GetObject and HeadObject
// need the object's ACL to grant READ (a missing key is NoSuchKey only when
// the bucket grants READ, which lets the caller list, else AccessDenied, so
// that keys cannot be probed), and the operations of anonymousBucketOps
// need the bucket's ACL to grant their permission. Everything else is
// AccessDenied.
func (s *Server) authorizeGuest(ctx context.Context, st *request, signed bool) error {
	if st.bucket == "" || st.op == opCreateBucket {
		return with(ErrAccessDenied)
	}
	b, err := s.store.HeadBucket(ctx, st.bucket)
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	if st.op == opGetObject || st.op == opHeadObject {
		info, err := s.store.HeadObject(ctx, st.bucket, st.key)
		switch {
		case err == nil && granted(info.ACL, "READ", signed):
			return nil
		case errors.Is(err, ErrNoSuchKey) && granted(b.ACL, "READ", signed):
			return objectErr(err, st)
		case err != nil && !errors.Is(err, ErrNoSuchKey):
			return objectErr(err, st)
		}
		return with(ErrAccessDenied)
	}
	if perm, ok := anonymousBucketOps[st.op]; ok && granted(b.ACL, perm, signed) {
		return nil
	}
	return with(ErrAccessDenied)
}

// bucketOwnerID is the canonical ID of a bucket's owner.
func bucketOwnerID(b BucketInfo) string {
	if b.Owner == "" {
		return fakeOwner.ID
	}
	return b.Owner
}

// storedOwnerID is what BucketInfo.Owner holds for o: empty for fakeOwner,
// so that buckets made before owners were kept stay the fake owner's.
func storedOwnerID(o owner) string {
	if o.ID == fakeOwner.ID {
		return ""
	}
	return o.ID
}

// caller is the owner a request acts as: the owner of its verified access
// key, or fakeOwner when the server has no credentials (every request is
// the owner's). It is the zero owner for an anonymous request.
func (s *Server) caller(st *request) owner {
	if len(s.credentials) == 0 {
		return fakeOwner
	}
	if !st.auth.verified {
		return owner{}
	}
	return s.owners[st.auth.accessKey]
}

// authorizeOwner applies, after authentication, what depends on the
// bucket's owner: x-amz-expected-bucket-owner naming another owner is
// AccessDenied, as in S3, and with several owners a signed caller who does
// not own the bucket is authorized as a guest (authorizeGuest). With one
// owner, or for a missing bucket (the operation answers NoSuchBucket), no
// bucket is looked up.
func (s *Server) authorizeOwner(r *http.Request, st *request) error {
	expected := r.Header.Get("X-Amz-Expected-Bucket-Owner")
	guestCheck := len(s.owners) > 1 && st.auth.verified && st.op != opCreateBucket
	if st.bucket == "" || expected == "" && !guestCheck {
		return nil
	}
	ctx := r.Context()
	b, err := s.store.HeadBucket(ctx, st.bucket)
	if err != nil {
		return nil
	}
	if expected != "" && expected != bucketOwnerID(b) {
		return with(ErrAccessDenied)
	}
	if guestCheck && bucketOwnerID(b) != s.caller(st).ID {
		return s.authorizeGuest(ctx, st, true)
	}
	return nil
}

// mayReadSource checks that the caller of a CopyObject or UploadPartCopy
// may read its source: the source bucket's owner may; anyone else needs the
// source object's ACL to grant READ (or, for a missing key, the bucket's,
// so that the copy answers NoSuchKey). A missing source bucket is left to
// the copy, which answers NoSuchBucket.
func (s *Server) mayReadSource(ctx context.Context, st *request, bucket, key string) error {
	if len(s.owners) <= 1 {
		return nil
	}
	b, err := s.store.HeadBucket(ctx, bucket)
	if err != nil || bucketOwnerID(b) == s.caller(st).ID {
		return nil
	}
	info, err := s.store.HeadObject(ctx, bucket, key)
	signed := st.auth.verified
	switch {
	case err == nil && granted(info.ACL, "READ", signed),
		errors.Is(err, ErrNoSuchKey) && granted(b.ACL, "READ", signed):
		return nil
	}
	return with(ErrAccessDenied)
}
