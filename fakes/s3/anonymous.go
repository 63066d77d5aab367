package s3

import (
	"context"
	"errors"
	"slices"
)

// anonymousBucketOps are the operations a canned ACL opens to anonymous
// callers through the bucket's grant to AllUsers, with the permission each
// needs: READ lets anyone list, WRITE lets anyone create, overwrite and
// delete objects.
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

// grantsAllUsers reports whether a canned ACL grants permission to
// everyone, signed or not.
func grantsAllUsers(acl, permission string) bool {
	return slices.Contains(cannedACLs[acl], grant{allUsers, permission})
}

// authorizeAnonymous decides an unsigned request to a server that has
// credentials, in S3's order: a missing bucket is NoSuchBucket for anyone;
// then GetObject and HeadObject need the object's ACL to grant AllUsers
// READ (a missing key is NoSuchKey only when the bucket lets anyone list,
// else AccessDenied, so that keys cannot be probed), and the operations of
// anonymousBucketOps need the bucket's ACL to grant their permission.
// Everything else is AccessDenied.
func (s *Server) authorizeAnonymous(ctx context.Context, st *request) error {
	if st.bucket == "" {
		return with(ErrAccessDenied)
	}
	b, err := s.store.HeadBucket(ctx, st.bucket)
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	if st.op == opGetObject || st.op == opHeadObject {
		info, err := s.store.HeadObject(ctx, st.bucket, st.key)
		switch {
		case err == nil && grantsAllUsers(info.ACL, "READ"):
			return nil
		case errors.Is(err, ErrNoSuchKey) && grantsAllUsers(b.ACL, "READ"):
			return objectErr(err, st)
		case err != nil && !errors.Is(err, ErrNoSuchKey):
			return objectErr(err, st)
		}
		return with(ErrAccessDenied)
	}
	if perm, ok := anonymousBucketOps[st.op]; ok && grantsAllUsers(b.ACL, perm) {
		return nil
	}
	return with(ErrAccessDenied)
}
