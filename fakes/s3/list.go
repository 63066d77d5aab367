package s3

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// maxListKeys is S3's default and largest max-keys.
const maxListKeys = 1000

// listQuery is what every listing takes: prefix, delimiter, encoding-type
// and max-keys.
type listQuery struct {
	prefix, delim, encoding string
	maxKeys                 int
}

// parseListQuery reads and checks the parameters every listing takes.
func parseListQuery(q url.Values) (listQuery, error) {
	lq := listQuery{prefix: q.Get("prefix"), delim: q.Get("delimiter"), encoding: q.Get("encoding-type"), maxKeys: maxListKeys}
	if lq.encoding != "" && lq.encoding != "url" {
		return lq, &Error{Code: ErrInvalidArgument, Message: "Invalid Encoding Method specified in Request",
			Fields: []Field{{"ArgumentName", "encoding-type"}, {"ArgumentValue", lq.encoding}}}
	}
	if v, ok := q["max-keys"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 {
			return lq, &Error{Code: ErrInvalidArgument, Message: "Provided max-keys not an integer or within integer range",
				Fields: []Field{{"ArgumentName", "max-keys"}, {"ArgumentValue", v[0]}}}
		}
		lq.maxKeys = min(n, maxListKeys)
	}
	return lq, nil
}

// enc encodes a key or prefix for the response: URL-encoded with
// encoding-type=url, else as it is.
func (lq listQuery) enc(v string) string {
	if lq.encoding == "url" {
		return uriEncode(v, false)
	}
	return v
}

// listObjects answers ListObjects (v1) and ListObjectsV2: prefix,
// delimiter, max-keys, marker, continuation-token, start-after, fetch-owner
// and encoding-type=url. Common prefixes count towards max-keys, as in S3.
func (s *Server) listObjects(c echo.Context, st *request) error {
	q := st.query
	v2 := st.op == opListObjectsV2
	lq, err := parseListQuery(q)
	if err != nil {
		return err
	}
	prefix, delim, maxKeys, enc := lq.prefix, lq.delim, lq.maxKeys, lq.enc
	// S3 URL-encodes the prefix it echoes in ListObjectsV2 but not in
	// ListObjects, whatever the encoding-type (so botocore, which asks for
	// url encoding in both, decodes it only in the first).
	echoedPrefix := prefix
	if v2 {
		echoedPrefix = enc(prefix)
	}
	res := listBucketResult{
		Xmlns: s3Namespace, Name: st.bucket, Prefix: echoedPrefix, MaxKeys: maxKeys,
		Delimiter: enc(delim), EncodingType: lq.encoding,
	}
	var after string
	if v2 {
		after = q.Get("start-after")
		if tok, ok := q["continuation-token"]; ok {
			// An empty token is no token, echoed as S3 does.
			if tok[0] != "" {
				raw, err := base64.RawURLEncoding.DecodeString(tok[0])
				if err != nil {
					return &Error{Code: ErrInvalidArgument, Message: "The continuation token provided is incorrect",
						Fields: []Field{{"ArgumentName", "continuation-token"}}}
				}
				after = string(raw)
			}
			res.ContinuationToken = &tok[0]
		}
		res.StartAfter = enc(q.Get("start-after"))
	} else {
		after = q.Get("marker")
		marker := enc(after)
		res.Marker = &marker
	}
	var withOwner *owner
	if !v2 || q.Get("fetch-owner") == "true" {
		withOwner = &fakeOwner
	}

	count := 0
	truncated, next, err := s.walk(c.Request().Context(), st.bucket, prefix, delim, after, maxKeys,
		func(o ObjectInfo) {
			res.Contents = append(res.Contents, xmlObject{
				Key: enc(o.Key), LastModified: xmlTime(o.LastModified), ETag: o.ETag, Size: o.Size,
				ChecksumAlgorithm: o.Checksum.Algorithm, ChecksumType: o.Checksum.Type,
				Owner: withOwner, StorageClass: storageClass(o),
			})
			count++
		},
		func(cp string) {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{enc(cp)})
			count++
		})
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	res.IsTruncated = truncated
	if v2 {
		res.KeyCount = &count
		if res.IsTruncated {
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(next))
		}
	} else if res.IsTruncated && delim != "" {
		res.NextMarker = enc(next)
	}
	return writeXML(c, http.StatusOK, res)
}

// walk lists one page of a bucket in key order: the objects whose key
// starts with prefix and sorts after after, each key holding delim past the
// prefix rolled up into its common prefix (reported once, and skipped when it
// is after itself, as a marker returned by an earlier page). It calls object
// or commonPrefix for at most maxKeys entries and reports whether more
// follow, and the last entry's key or prefix, from which the next page
// resumes.
func (s *Server) walk(ctx context.Context, bucket, prefix, delim, after string, maxKeys int,
	object func(ObjectInfo), commonPrefix func(string)) (truncated bool, last string, err error) {
	// When a common prefix is met, the listing resumes after every key under
	// it, so a page costs per prefix, not per key rolled up: cp+"\xff" sorts
	// after them all, as keys are UTF-8, which never holds the byte 0xff.
	// Should a store hold such a key anyway, the scan goes on key by key.
	count, lastPrefix := 0, ""
	for from := after; ; {
		resume := ""
		skip := func(cp string) bool {
			if jump := cp + "\xff"; jump > from {
				resume = jump
				return false
			}
			return true
		}
		err = s.store.ListObjects(ctx, bucket, prefix, from, func(o ObjectInfo) bool {
			if maxKeys == 0 {
				return false
			}
			if delim != "" {
				if i := strings.Index(o.Key[len(prefix):], delim); i >= 0 {
					cp := o.Key[:len(prefix)+i+len(delim)]
					if cp == lastPrefix || cp == after {
						return skip(cp) // rolled up into a prefix already returned
					}
					if count == maxKeys {
						truncated = true
						return false
					}
					commonPrefix(cp)
					lastPrefix, last = cp, cp
					count++
					return skip(cp)
				}
			}
			if count == maxKeys {
				truncated = true
				return false
			}
			object(o)
			last = o.Key
			count++
			return true
		})
		if err != nil || resume == "" {
			return truncated, last, err
		}
		from = resume
	}
}

func storageClass(o ObjectInfo) string {
	if o.StorageClass == "" {
		return "STANDARD"
	}
	return o.StorageClass
}
