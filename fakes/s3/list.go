package s3

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// maxListKeys is S3's default and largest max-keys.
const maxListKeys = 1000

// listObjects answers ListObjects (v1) and ListObjectsV2: prefix,
// delimiter, max-keys, marker, continuation-token, start-after, fetch-owner
// and encoding-type=url. Common prefixes count towards max-keys, as in S3.
func (s *Server) listObjects(c echo.Context, st *request) error {
	q := st.query
	v2 := st.op == opListObjectsV2
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	encoding := q.Get("encoding-type")
	if encoding != "" && encoding != "url" {
		return &Error{Code: ErrInvalidArgument, Message: "Invalid Encoding Method specified in Request",
			Fields: []Field{{"ArgumentName", "encoding-type"}, {"ArgumentValue", encoding}}}
	}
	enc := func(v string) string { return v }
	if encoding == "url" {
		enc = func(v string) string { return uriEncode(v, false) }
	}
	maxKeys := maxListKeys
	if v, ok := q["max-keys"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 0 {
			return &Error{Code: ErrInvalidArgument, Message: "Provided max-keys not an integer or within integer range",
				Fields: []Field{{"ArgumentName", "max-keys"}, {"ArgumentValue", v[0]}}}
		}
		maxKeys = min(n, maxListKeys)
	}
	res := listBucketResult{
		Xmlns: s3Namespace, Name: st.bucket, Prefix: enc(prefix), MaxKeys: maxKeys,
		Delimiter: enc(delim), EncodingType: encoding,
	}
	var after string
	if v2 {
		if tok, ok := q["continuation-token"]; ok {
			raw, err := base64.RawURLEncoding.DecodeString(tok[0])
			if err != nil || tok[0] == "" {
				return &Error{Code: ErrInvalidArgument, Message: "The continuation token provided is incorrect",
					Fields: []Field{{"ArgumentName", "continuation-token"}}}
			}
			after = string(raw)
			res.ContinuationToken = tok[0]
		} else {
			after = q.Get("start-after")
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

	// When a common prefix is met, the listing resumes after every key under
	// it, so a page costs per prefix, not per key rolled up: cp+"\xff" sorts
	// after them all, as keys are UTF-8, which never holds the byte 0xff.
	// Should a store hold such a key anyway, the scan goes on key by key.
	count, next, lastPrefix := 0, "", ""
	var err error
	for from := after; ; {
		resume := ""
		skip := func(cp string) bool {
			if jump := cp + "\xff"; jump > from {
				resume = jump
				return false
			}
			return true
		}
		err = s.store.ListObjects(c.Request().Context(), st.bucket, prefix, from, func(o ObjectInfo) bool {
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
						res.IsTruncated = true
						return false
					}
					res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{enc(cp)})
					lastPrefix, next = cp, cp
					count++
					return skip(cp)
				}
			}
			if count == maxKeys {
				res.IsTruncated = true
				return false
			}
			res.Contents = append(res.Contents, xmlObject{
				Key: enc(o.Key), LastModified: xmlTime(o.LastModified), ETag: o.ETag, Size: o.Size,
				ChecksumAlgorithm: o.Checksum.Algorithm, ChecksumType: o.Checksum.Type,
				Owner: withOwner, StorageClass: storageClass(o),
			})
			next = o.Key
			count++
			return true
		})
		if err != nil || resume == "" {
			break
		}
		from = resume
	}
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
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

func storageClass(o ObjectInfo) string {
	if o.StorageClass == "" {
		return "STANDARD"
	}
	return o.StorageClass
}
