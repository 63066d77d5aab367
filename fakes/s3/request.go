package s3

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// S3 operation names, as in the S3 API reference; the request log and the
// counts use them.
const (
	opListBuckets             = "ListBuckets"
	opCreateBucket            = "CreateBucket"
	opHeadBucket              = "HeadBucket"
	opDeleteBucket            = "DeleteBucket"
	opGetBucketLocation       = "GetBucketLocation"
	opGetBucketACL            = "GetBucketAcl"
	opPutBucketACL            = "PutBucketAcl"
	opGetObjectACL            = "GetObjectAcl"
	opPutObjectACL            = "PutObjectAcl"
	opGetBucketVersioning     = "GetBucketVersioning"
	opPutBucketVersioning     = "PutBucketVersioning"
	opListObjectVersions      = "ListObjectVersions"
	opListObjects             = "ListObjects"
	opListObjectsV2           = "ListObjectsV2"
	opListMultipartUploads    = "ListMultipartUploads"
	opDeleteObjects           = "DeleteObjects"
	opPutObject               = "PutObject"
	opCopyObject              = "CopyObject"
	opGetObject               = "GetObject"
	opHeadObject              = "HeadObject"
	opDeleteObject            = "DeleteObject"
	opCreateMultipartUpload   = "CreateMultipartUpload"
	opUploadPart              = "UploadPart"
	opUploadPartCopy          = "UploadPartCopy"
	opCompleteMultipartUpload = "CompleteMultipartUpload"
	opAbortMultipartUpload    = "AbortMultipartUpload"
	opListParts               = "ListParts"
)

// request is what the server learns about one S3 request while serving it.
type request struct {
	id          string
	start       time.Time
	op          string
	bucket, key string
	query       url.Values
	virtualHost bool
	path        string // decoded path as sent (before virtual-host rewriting)
	rawPath     string // escaped path as sent

	auth     authInfo
	bodyMode string // how the body was framed, for the request log
	checksum string // integrity checks made, for the request log
	digested bool   // the body carried Content-MD5 or an x-amz-checksum-*
	received int64  // decoded body bytes read
	errCode  ErrorCode
	injected bool // answered by fault injection
}

// bucketSubresources are the bucket query parameters that select an
// operation the fake does not implement.
var bucketSubresources = []string{
	"accelerate", "analytics", "cors", "encryption", "intelligent-tiering",
	"inventory", "lifecycle", "logging", "metrics", "notification", "object-lock",
	"ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
	"requestPayment", "tagging", "website",
}

// objectSubresources are the object query parameters the fake does not
// implement.
var objectSubresources = []string{
	"attributes", "legal-hold", "restore", "retention", "select", "tagging", "torrent",
}

// parse splits the path-style URL into bucket and key and names the
// operation.
func (st *request) parse(r *http.Request) error {
	st.query = r.URL.Query()
	p := strings.TrimPrefix(r.URL.Path, "/")
	st.bucket, st.key, _ = strings.Cut(p, "/")
	if !utf8.ValidString(st.key) {
		// S3 keys are UTF-8; S3 answers a path that decodes to anything
		// else with InvalidURI.
		return with(ErrInvalidURI, "URI", r.URL.EscapedPath())
	}
	q := st.query
	has := func(k string) bool { _, ok := q[k]; return ok }
	m := r.Method
	if m == http.MethodOptions {
		st.op = opCORSPreflight
		return nil
	}
	switch {
	case st.bucket == "":
		if m == http.MethodGet {
			st.op = opListBuckets
			return nil
		}
		return errMethod(m)
	case st.key == "":
		switch {
		case has("acl") && m == http.MethodGet:
			st.op = opGetBucketACL
			return nil
		case has("acl") && m == http.MethodPut:
			st.op = opPutBucketACL
			return nil
		case has("acl"):
			return errMethod(m)
		case has("versioning") && m == http.MethodGet:
			st.op = opGetBucketVersioning
			return nil
		case has("versioning") && m == http.MethodPut:
			st.op = opPutBucketVersioning
			return nil
		case has("versions") && m == http.MethodGet:
			st.op = opListObjectVersions
			return nil
		case has("versioning") || has("versions"):
			return errMethod(m)
		}
		for _, sub := range bucketSubresources {
			if has(sub) {
				st.op = "Bucket?" + sub
				return errorf(ErrNotImplemented, "The bucket subresource ?%s is not implemented by devenv's fake S3.", sub)
			}
		}
		switch m {
		case http.MethodPut:
			st.op = opCreateBucket
		case http.MethodHead:
			st.op = opHeadBucket
		case http.MethodDelete:
			st.op = opDeleteBucket
		case http.MethodGet:
			switch {
			case has("location"):
				st.op = opGetBucketLocation
			case has("uploads"):
				st.op = opListMultipartUploads
			case q.Get("list-type") == "2":
				st.op = opListObjectsV2
			default:
				st.op = opListObjects
			}
		case http.MethodPost:
			if !has("delete") {
				return errMethod(m)
			}
			st.op = opDeleteObjects
		default:
			return errMethod(m)
		}
		return nil
	}
	for _, sub := range objectSubresources {
		if has(sub) {
			st.op = "Object?" + sub
			return errorf(ErrNotImplemented, "The object subresource ?%s is not implemented by devenv's fake S3.", sub)
		}
	}
	if has("acl") {
		switch m {
		case http.MethodGet:
			st.op = opGetObjectACL
		case http.MethodPut:
			st.op = opPutObjectACL
		default:
			return errMethod(m)
		}
		return nil
	}
	switch m {
	case http.MethodPut:
		switch {
		case has("partNumber") || has("uploadId"):
			st.op = opUploadPart
			if r.Header.Get("X-Amz-Copy-Source") != "" {
				st.op = opUploadPartCopy
			}
		case r.Header.Get("X-Amz-Copy-Source") != "":
			st.op = opCopyObject
		default:
			st.op = opPutObject
		}
	case http.MethodGet:
		st.op = opGetObject
		if has("uploadId") {
			st.op = opListParts
		}
	case http.MethodHead:
		st.op = opHeadObject
	case http.MethodDelete:
		st.op = opDeleteObject
		if has("uploadId") {
			st.op = opAbortMultipartUpload
		}
	case http.MethodPost:
		switch {
		case has("uploads"):
			st.op = opCreateMultipartUpload
		case has("uploadId"):
			st.op = opCompleteMultipartUpload
		default:
			return errMethod(m)
		}
	default:
		return errMethod(m)
	}
	if v, ok := q["versionId"]; ok && (m == http.MethodGet || m == http.MethodHead || m == http.MethodDelete) {
		return checkVersionID(v[0])
	}
	return nil
}

func errMethod(m string) *Error {
	return with(ErrMethodNotAllowed, "Method", m, "ResourceType", "OBJECT")
}
