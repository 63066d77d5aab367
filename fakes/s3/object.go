package s3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// maxKeyLength is S3's limit on key length, in bytes.
const maxKeyLength = 1024

// maxMetadataSize is S3's limit on an object's user metadata: the bytes of
// every x-amz-meta-* name (without the prefix) and value.
const maxMetadataSize = 2 << 10

// storageClasses are the x-amz-storage-class values S3 accepts.
var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "OUTPOSTS": true,
	"GLACIER_IR": true, "SNOW": true, "EXPRESS_ONEZONE": true,
}

// echoedHeaders are request headers S3 stores with an object and returns
// from GetObject and HeadObject.
var echoedHeaders = []string{
	"X-Amz-Server-Side-Encryption",
	"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id",
	"X-Amz-Server-Side-Encryption-Customer-Algorithm",
	"X-Amz-Website-Redirect-Location",
}

func checkKey(key string) error {
	if len(key) > maxKeyLength {
		return with(ErrKeyTooLong, "Size", strconv.Itoa(len(key)), "MaxSizeAllowed", strconv.Itoa(maxKeyLength))
	}
	return nil
}

// objectErr adds the bucket or key to a Store's not-found errors.
func objectErr(err error, st *request) error {
	if errors.Is(err, ErrNoSuchKey) {
		return with(ErrNoSuchKey, "Key", st.key)
	}
	return noSuchBucket(err, st.bucket)
}

// newObjectInfo checks the key of an object a PutObject or
// CreateMultipartUpload request makes and that its bucket exists, then
// builds the object's metadata from the request's headers.
func (s *Server) newObjectInfo(ctx context.Context, r *http.Request, st *request) (ObjectInfo, error) {
	if err := checkKey(st.key); err != nil {
		return ObjectInfo{}, err
	}
	if _, err := s.store.HeadBucket(ctx, st.bucket); err != nil {
		return ObjectInfo{}, noSuchBucket(err, st.bucket)
	}
	return infoFromHeaders(r.Header, st.key)
}

// infoFromHeaders builds an object's metadata from a PutObject, CopyObject
// (REPLACE) or CreateMultipartUpload request.
func infoFromHeaders(h http.Header, key string) (ObjectInfo, error) {
	info := ObjectInfo{
		Key:                key,
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(h.Get("Content-Encoding")),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
		StorageClass:       h.Get("X-Amz-Storage-Class"),
	}
	if info.StorageClass != "" && !storageClasses[info.StorageClass] {
		return info, errorf(ErrInvalidArgument, "The storage class you specified is not valid")
	}
	acl, err := cannedACL(h)
	if err != nil {
		return info, err
	}
	info.ACL = acl
	metaSize := 0
	for name, vals := range h {
		if meta, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-meta-"); ok {
			if info.Metadata == nil {
				info.Metadata = make(map[string]string)
			}
			info.Metadata[meta] = strings.Join(vals, ",")
			metaSize += len(meta) + len(info.Metadata[meta])
		}
	}
	if metaSize > maxMetadataSize {
		return info, with(ErrMetadataTooLarge, "Size", strconv.Itoa(metaSize), "MaxSizeAllowed", strconv.Itoa(maxMetadataSize))
	}
	for _, name := range echoedHeaders {
		if v := h.Get(name); v != "" {
			if info.Headers == nil {
				info.Headers = make(map[string]string)
			}
			info.Headers[strings.ToLower(name)] = v
		}
	}
	if t := h.Get("X-Amz-Tagging"); t != "" {
		tags, err := url.ParseQuery(t)
		if err != nil {
			return info, errorf(ErrInvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
		}
		if info.Headers == nil {
			info.Headers = make(map[string]string)
		}
		info.Headers["x-amz-tagging-count"] = strconv.Itoa(len(tags))
	}
	return info, nil
}

// stripAWSChunked removes the aws-chunked coding, which describes the
// transfer and is not part of the stored object.
func stripAWSChunked(ce string) string {
	if ce == "" {
		return ""
	}
	var kept []string
	for part := range strings.SplitSeq(ce, ",") {
		part = strings.TrimSpace(part)
		if part != "" && !strings.EqualFold(part, "aws-chunked") {
			kept = append(kept, part)
		}
	}
	return strings.Join(kept, ", ")
}

func (s *Server) putObject(c echo.Context, st *request) error {
	r := c.Request()
	ctx := r.Context()
	info, err := s.newObjectInfo(ctx, r, st)
	if err != nil {
		return err
	}
	cond, condHeader, err := s.writePreconditions(ctx, r.Header, st)
	if err != nil {
		return err
	}
	b, err := s.newBody(r, st, s.objectLimits(), defaultChecksum)
	if err != nil {
		return err
	}
	info.LastModified = s.clock().UTC()
	var stored ObjectInfo
	switch {
	case cond.absent:
		stored, err = s.store.PutObjectIfAbsent(ctx, st.bucket, info, b)
	case cond.match != "":
		stored, err = s.store.PutObjectIfMatch(ctx, st.bucket, info, b, cond.match)
	default:
		stored, err = s.store.PutObject(ctx, st.bucket, info, b)
	}
	if errors.Is(err, ErrPreconditionFailed) {
		return with(ErrPreconditionFailed, "Condition", condHeader)
	}
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	h := c.Response().Header()
	h.Set("ETag", stored.ETag)
	if b.clientSent {
		h.Set(b.alg.header, stored.Checksum.Value)
		h.Set("X-Amz-Checksum-Type", stored.Checksum.Type)
	}
	for k, v := range stored.Headers {
		if strings.HasPrefix(k, "x-amz-server-side-encryption") {
			h.Set(k, v)
		}
	}
	return c.NoContent(http.StatusOK)
}

// writePreconditions checks the conditions of a write (PutObject,
// CompleteMultipartUpload) against the object there now, to answer 412
// PreconditionFailed before the body is sent: If-Match (an ETag list or *;
// a missing object fails it) and If-None-Match (* fails on any object, an
// ETag list on a matching one). It returns what the store must check again
// as the object appears, for a writer that raced this one, and the header
// that check stands for.
func (s *Server) writePreconditions(ctx context.Context, h http.Header, st *request) (writeCondition, string, error) {
	match, noneMatch := h.Get("If-Match"), h.Get("If-None-Match")
	if match == "" && noneMatch == "" {
		return writeCondition{}, "", nil
	}
	cur, err := s.store.HeadObject(ctx, st.bucket, st.key)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNoSuchKey) {
		return writeCondition{}, "", objectErr(err, st)
	}
	if match != "" && (!exists || !etagMatches(match, cur.ETag)) {
		return writeCondition{}, "", with(ErrPreconditionFailed, "Condition", "If-Match")
	}
	if noneMatch != "" && exists && etagMatches(noneMatch, cur.ETag) {
		return writeCondition{}, "", with(ErrPreconditionFailed, "Condition", "If-None-Match")
	}
	switch {
	case match != "":
		return writeCondition{match: match}, "If-Match", nil
	case strings.TrimSpace(noneMatch) == "*":
		return writeCondition{absent: true}, "If-None-Match", nil
	}
	return writeCondition{}, "", nil
}

func (s *Server) getObject(c echo.Context, st *request) error {
	r := c.Request()
	ctx := r.Context()
	head := st.op == opHeadObject
	var (
		info ObjectInfo
		rd   ObjectReader
		err  error
	)
	if head {
		info, err = s.store.HeadObject(ctx, st.bucket, st.key)
	} else {
		info, rd, err = s.store.GetObject(ctx, st.bucket, st.key)
	}
	if err != nil {
		return objectErr(err, st)
	}
	if rd != nil {
		defer rd.Close()
	}
	h := c.Response().Header()
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	h.Set("ETag", info.ETag)
	if status, cond := checkConditions(r.Header, "", info); status != 0 {
		if status == http.StatusNotModified {
			return c.NoContent(status)
		}
		return with(ErrPreconditionFailed, "Condition", cond)
	}
	start, length, partial, err := parseRange(r.Header.Get("Range"), info.Size)
	if err != nil {
		return err
	}
	if v, ok := st.query["partNumber"]; ok {
		if r.Header.Get("Range") != "" {
			return errorf(ErrInvalidRequest, "Cannot specify both Range header and partNumber query parameter")
		}
		if start, length, partial, err = partRange(v[0], info); err != nil {
			return err
		}
		if len(info.PartSizes) > 0 {
			h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(len(info.PartSizes)))
		}
	}
	setObjectHeaders(h, info, st.query)
	h.Set("Accept-Ranges", "bytes")
	if !partial && info.Checksum.Value != "" && strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		if alg, ok := checksumByName(info.Checksum.Algorithm); ok {
			h.Set(alg.header, info.Checksum.Value)
			h.Set("X-Amz-Checksum-Type", info.Checksum.Type)
		}
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+strconv.FormatInt(start+length-1, 10)+"/"+strconv.FormatInt(info.Size, 10))
	}
	if head {
		return c.NoContent(status)
	}
	if start > 0 {
		if _, err := rd.Seek(start, io.SeekStart); err != nil {
			return err
		}
	}
	c.Response().WriteHeader(status)
	if _, err := io.Copy(c.Response(), io.LimitReader(rd, length)); err != nil {
		// The status is sent; all that is left is to say why the body is
		// short (usually the client went away).
		s.log.Warn("s3 get object: response cut short", "bucket", st.bucket, "key", st.key, "err", err)
	}
	return nil
}

// setObjectHeaders sets the stored headers of an object, with the
// response-* query overrides of GetObject.
func setObjectHeaders(h http.Header, info ObjectInfo, q url.Values) {
	ct := info.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	for _, f := range []struct{ header, value, override string }{
		{"Content-Type", ct, "response-content-type"},
		{"Content-Encoding", info.ContentEncoding, "response-content-encoding"},
		{"Content-Disposition", info.ContentDisposition, "response-content-disposition"},
		{"Content-Language", info.ContentLanguage, "response-content-language"},
		{"Cache-Control", info.CacheControl, "response-cache-control"},
		{"Expires", info.Expires, "response-expires"},
	} {
		v := f.value
		if o := q.Get(f.override); o != "" {
			v = o
		}
		if v != "" {
			h.Set(f.header, v)
		}
	}
	if info.StorageClass != "" && info.StorageClass != "STANDARD" {
		h.Set("X-Amz-Storage-Class", info.StorageClass)
	}
	for k, v := range info.Metadata {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	for k, v := range info.Headers {
		h.Set(k, v)
	}
}

// checkConditions evaluates If-Match, If-Unmodified-Since, If-None-Match
// and If-Modified-Since (each name prefixed with prefix, such as
// "X-Amz-Copy-Source-") against an object. It returns 0 when the request may
// proceed, else 304 or 412 and the failing header.
func checkConditions(h http.Header, prefix string, info ObjectInfo) (int, string) {
	notModified := http.StatusNotModified
	if prefix != "" {
		notModified = http.StatusPreconditionFailed // CopyObject has no 304
	}
	modified := func(name string) (bool, bool) {
		v := h.Get(prefix + name)
		if v == "" {
			return false, false
		}
		t, err := http.ParseTime(v)
		if err != nil {
			return false, false
		}
		return info.LastModified.Truncate(time.Second).After(t), true
	}
	if v := h.Get(prefix + "If-Match"); v != "" {
		if !etagMatches(v, info.ETag) {
			return http.StatusPreconditionFailed, "If-Match"
		}
	} else if mod, ok := modified("If-Unmodified-Since"); ok && mod {
		return http.StatusPreconditionFailed, "If-Unmodified-Since"
	}
	if v := h.Get(prefix + "If-None-Match"); v != "" {
		if etagMatches(v, info.ETag) {
			return notModified, "If-None-Match"
		}
	} else if mod, ok := modified("If-Modified-Since"); ok && !mod {
		return notModified, "If-Modified-Since"
	}
	return 0, ""
}

// etagMatches reports whether a comma-separated list of entity tags (or *)
// contains etag.
func etagMatches(list, etag string) bool {
	want := strings.Trim(etag, `"`)
	for v := range strings.SplitSeq(list, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || strings.Trim(v, `"`) == want {
			return true
		}
	}
	return false
}

// parseRange reads a single "bytes=" range as S3 does: a range S3 cannot
// parse, or several ranges, select the whole object; a range that starts
// past the end is InvalidRange.
func parseRange(h string, size int64) (start, length int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, size, false, nil
	}
	unsatisfiable := with(ErrInvalidRange, "RangeRequested", h, "ActualObjectSize", strconv.FormatInt(size, 10))
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, size, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, unsatisfiable
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return 0, size, false, nil
	}
	b := size - 1
	if last != "" {
		b, err = strconv.ParseInt(last, 10, 64)
		if err != nil || b < a {
			return 0, size, false, nil
		}
		b = min(b, size-1)
	}
	if a >= size {
		return 0, 0, false, unsatisfiable
	}
	return a, b - a + 1, true, nil
}

// partRange selects part n (1-based, as in ?partNumber=n) of an object. An
// object that was not uploaded in parts has one part, itself.
func partRange(v string, info ObjectInfo) (start, length int64, partial bool, err error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, 0, false, &Error{Code: ErrInvalidArgument, Message: "Part number must be an integer between 1 and 10000, inclusive",
			Fields: []Field{{"ArgumentName", "partNumber"}, {"ArgumentValue", v}}}
	}
	if len(info.PartSizes) == 0 {
		if n != 1 {
			return 0, 0, false, with(ErrInvalidPartNumber, "PartNumberRequested", v, "ActualPartCount", "1")
		}
		return 0, info.Size, false, nil
	}
	if n > len(info.PartSizes) {
		return 0, 0, false, with(ErrInvalidPartNumber, "PartNumberRequested", v, "ActualPartCount", strconv.Itoa(len(info.PartSizes)))
	}
	for _, sz := range info.PartSizes[:n-1] {
		start += sz
	}
	return start, info.PartSizes[n-1], true, nil
}

func (s *Server) deleteObject(c echo.Context, st *request) error {
	if err := s.store.DeleteObject(c.Request().Context(), st.bucket, st.key); err != nil {
		return noSuchBucket(err, st.bucket)
	}
	return c.NoContent(http.StatusNoContent)
}

// maxDeleteObjects is S3's limit of keys per DeleteObjects request.
const maxDeleteObjects = 1000

func (s *Server) deleteObjects(c echo.Context, st *request) error {
	ctx := c.Request().Context()
	if _, err := s.store.HeadBucket(ctx, st.bucket); err != nil {
		return noSuchBucket(err, st.bucket)
	}
	var req deleteRequest
	if err := s.readXML(c, st, &req, true); err != nil {
		return err
	}
	if !st.digested {
		return errorf(ErrInvalidRequest, "Missing required header for this request: Content-MD5")
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects {
		return with(ErrMalformedXML)
	}
	res := deleteResult{Xmlns: s3Namespace}
	for _, o := range req.Objects {
		if err := checkKey(o.Key); err != nil || o.Key == "" {
			res.Errors = append(res.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: string(ErrInvalidArgument), Message: "Invalid key"})
			continue
		}
		if o.VersionID != "" {
			if err := checkVersionID(o.VersionID); err != nil {
				e, _ := asS3Error(err)
				res.Errors = append(res.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: string(e.Code), Message: e.Message})
				continue
			}
		}
		if err := s.store.DeleteObject(ctx, st.bucket, o.Key); err != nil {
			e, _ := asS3Error(err)
			res.Errors = append(res.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: string(e.Code), Message: e.Message})
			continue
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deletedEntry{Key: o.Key, VersionID: o.VersionID})
		}
	}
	return writeXML(c, http.StatusOK, res)
}

// copySource parses x-amz-copy-source: "[/]bucket/key[?versionId=null]",
// URL-encoded.
func copySource(v string) (bucket, key string, err error) {
	v, version, versioned := strings.Cut(v, "?versionId=")
	if versioned {
		if err := checkVersionID(version); err != nil {
			return "", "", err
		}
	}
	if dec, derr := url.PathUnescape(v); derr == nil {
		v = dec
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(v, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", &Error{Code: ErrInvalidArgument, Message: "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
			Fields: []Field{{"ArgumentName", "x-amz-copy-source"}, {"ArgumentValue", v}}}
	}
	return bucket, key, nil
}

func (s *Server) copyObject(c echo.Context, st *request) error {
	r := c.Request()
	ctx := r.Context()
	if err := checkKey(st.key); err != nil {
		return err
	}
	srcBucket, srcKey, err := copySource(r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	if err := s.mayReadSource(ctx, st, srcBucket, srcKey); err != nil {
		return err
	}
	if _, err := s.store.HeadBucket(ctx, st.bucket); err != nil {
		return noSuchBucket(err, st.bucket)
	}
	directive := strings.ToUpper(r.Header.Get("X-Amz-Metadata-Directive"))
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return errorf(ErrInvalidArgument, "Unknown metadata directive.")
	}
	info, rd, err := s.store.GetObject(ctx, srcBucket, srcKey)
	if err != nil {
		return objectErr(err, &request{bucket: srcBucket, key: srcKey})
	}
	defer rd.Close()
	if status, cond := checkConditions(r.Header, "X-Amz-Copy-Source-", info); status != 0 {
		return with(ErrPreconditionFailed, "Condition", "x-amz-copy-source-"+strings.ToLower(cond))
	}
	newClass := r.Header.Get("X-Amz-Storage-Class")
	if srcBucket == st.bucket && srcKey == st.key && directive != "REPLACE" && (newClass == "" || newClass == info.StorageClass) {
		return errorf(ErrInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	dst := info
	if directive == "REPLACE" {
		if dst, err = infoFromHeaders(r.Header, st.key); err != nil {
			return err
		}
	} else if newClass != "" {
		if !storageClasses[newClass] {
			return errorf(ErrInvalidArgument, "The storage class you specified is not valid")
		}
		dst.StorageClass = newClass
	}
	// The copy's ACL is the request's, never the source's, as in S3.
	if dst.ACL, err = cannedACL(r.Header); err != nil {
		return err
	}
	dst.Key, dst.PartSizes = st.key, nil
	dst.LastModified = s.clock().UTC()
	alg := defaultChecksum
	if a, ok := checksumByName(info.Checksum.Algorithm); ok {
		alg = a
	}
	if v := r.Header.Get("X-Amz-Checksum-Algorithm"); v != "" {
		a, ok := checksumByName(v)
		if !ok {
			return errorf(ErrInvalidRequest, "Value for x-amz-checksum-algorithm header is invalid.")
		}
		alg = a
	}
	content := storedBody(rd, info.Size, alg)
	stored, err := s.store.PutObject(ctx, st.bucket, dst, content)
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	return writeXML(c, http.StatusOK, copyObjectResult{
		Xmlns: s3Namespace, LastModified: xmlTime(stored.LastModified), ETag: stored.ETag,
		xmlChecksums: checksumElements(stored.Checksum),
	})
}
