package s3

import (
	"context"
	"crypto/md5" //nolint:gosec // S3's multipart ETag.
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

const (
	// minPartSize is S3's smallest part, except for the last one.
	minPartSize = 5 << 20
	// maxPartNumber is S3's largest part number.
	maxPartNumber = 10000
)

func noSuchUpload(err error, uploadID string) error {
	if errors.Is(err, ErrNoSuchUpload) {
		return with(ErrNoSuchUpload, "UploadId", uploadID)
	}
	return err
}

func (s *Server) createUpload(c echo.Context, st *request) error {
	r := c.Request()
	ctx := r.Context()
	info, err := s.newObjectInfo(ctx, r, st)
	if err != nil {
		return err
	}
	u := UploadInfo{
		ID: hex.EncodeToString(s.newID(24)), Bucket: st.bucket, Key: st.key,
		Initiated: s.clock().UTC(), Object: info,
	}
	if v := r.Header.Get("X-Amz-Checksum-Algorithm"); v != "" {
		alg, ok := checksumByName(v)
		if !ok {
			return errorf(ErrInvalidRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		u.ChecksumAlgorithm = alg.name
		u.ChecksumType = "COMPOSITE"
		if alg.name == "CRC64NVME" {
			u.ChecksumType = "FULL_OBJECT"
		}
	}
	if t := strings.ToUpper(r.Header.Get("X-Amz-Checksum-Type")); t != "" {
		alg, _ := checksumByName(u.ChecksumAlgorithm)
		switch {
		case u.ChecksumAlgorithm == "":
			return errorf(ErrInvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		case t == "FULL_OBJECT" && alg.poly == 0:
			return errorf(ErrInvalidRequest, "The FULL_OBJECT checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(alg.name))
		case t == "COMPOSITE" && alg.name == "CRC64NVME":
			return errorf(ErrInvalidRequest, "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
		case t != "FULL_OBJECT" && t != "COMPOSITE":
			return errorf(ErrInvalidRequest, "Value for x-amz-checksum-type header is invalid.")
		}
		u.ChecksumType = t
	}
	if err := s.store.CreateUpload(ctx, u); err != nil {
		return noSuchBucket(err, st.bucket)
	}
	if u.ChecksumAlgorithm != "" {
		h := c.Response().Header()
		h.Set("X-Amz-Checksum-Algorithm", u.ChecksumAlgorithm)
		h.Set("X-Amz-Checksum-Type", u.ChecksumType)
	}
	return writeXML(c, http.StatusOK, initiateMultipartUploadResult{
		Xmlns: s3Namespace, Bucket: st.bucket, Key: st.key, UploadID: u.ID,
	})
}

// parsePartNumber reads a partNumber parameter: 1 to 10000.
func parsePartNumber(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, &Error{Code: ErrInvalidArgument, Message: "Part number must be an integer between 1 and 10000, inclusive",
			Fields: []Field{{"ArgumentName", "partNumber"}, {"ArgumentValue", v}}}
	}
	return n, nil
}

// partUpload reads the partNumber of an UploadPart or UploadPartCopy
// request and returns it with the upload its uploadId names.
func (s *Server) partUpload(ctx context.Context, st *request) (int, UploadInfo, error) {
	n, err := parsePartNumber(st.query.Get("partNumber"))
	if err != nil {
		return 0, UploadInfo{}, err
	}
	id := st.query.Get("uploadId")
	u, _, err := s.store.ListParts(ctx, st.bucket, st.key, id)
	if err != nil {
		return 0, UploadInfo{}, noSuchUpload(err, id)
	}
	return n, u, nil
}

func (s *Server) uploadPart(c echo.Context, st *request) error {
	r := c.Request()
	ctx := r.Context()
	n, u, err := s.partUpload(ctx, st)
	if err != nil {
		return err
	}
	id := u.ID
	fallback := defaultChecksum
	if alg, ok := checksumByName(u.ChecksumAlgorithm); ok {
		fallback = alg
	}
	b, err := s.newBody(r, st, s.objectLimits(), fallback)
	if err != nil {
		return err
	}
	if u.ChecksumAlgorithm != "" && b.clientSent && b.alg.name != u.ChecksumAlgorithm {
		return errorf(ErrInvalidRequest, "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			strings.ToLower(u.ChecksumAlgorithm), strings.ToLower(b.alg.name))
	}
	p, err := s.store.PutPart(ctx, st.bucket, st.key, id, PartInfo{Number: n, LastModified: s.clock().UTC()}, b)
	if err != nil {
		return noSuchUpload(err, id)
	}
	h := c.Response().Header()
	h.Set("ETag", p.ETag)
	if b.clientSent || u.ChecksumAlgorithm != "" {
		h.Set(b.alg.header, p.Checksum.Value)
	}
	return c.NoContent(http.StatusOK)
}

// uploadPartCopy makes a part from (a byte range of) an existing object.
func (s *Server) uploadPartCopy(c echo.Context, st *request) error {
	r := c.Request()
	ctx := r.Context()
	n, u, err := s.partUpload(ctx, st)
	if err != nil {
		return err
	}
	id := u.ID
	srcBucket, srcKey, err := copySource(r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	if err := s.mayReadSource(ctx, st, srcBucket, srcKey); err != nil {
		return err
	}
	info, rd, err := s.store.GetObject(ctx, srcBucket, srcKey)
	if err != nil {
		return objectErr(err, &request{bucket: srcBucket, key: srcKey})
	}
	defer rd.Close()
	if status, cond := checkConditions(r.Header, "X-Amz-Copy-Source-", info); status != 0 {
		return with(ErrPreconditionFailed, "Condition", "x-amz-copy-source-"+strings.ToLower(cond))
	}
	start, length := int64(0), info.Size
	if v := r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		if start, length, err = copyRange(v, info.Size); err != nil {
			return err
		}
	}
	if _, err := rd.Seek(start, io.SeekStart); err != nil {
		return err
	}
	alg := defaultChecksum
	if a, ok := checksumByName(u.ChecksumAlgorithm); ok {
		alg = a
	}
	content := storedBody(io.LimitReader(rd, length), length, alg)
	p, err := s.store.PutPart(ctx, st.bucket, st.key, id, PartInfo{Number: n, LastModified: s.clock().UTC()}, content)
	if err != nil {
		return noSuchUpload(err, id)
	}
	res := copyPartResult{Xmlns: s3Namespace, LastModified: xmlTime(p.LastModified), ETag: p.ETag}
	if u.ChecksumAlgorithm != "" {
		res.xmlChecksums = checksumElements(p.Checksum)
	}
	return writeXML(c, http.StatusOK, res)
}

// copyRange reads x-amz-copy-source-range, which unlike a GET's Range must
// be exactly "bytes=first-last" (InvalidArgument otherwise) and lie within
// the object (InvalidRange otherwise).
func copyRange(v string, size int64) (start, length int64, err error) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	first, last, ok2 := strings.Cut(spec, "-")
	a, errA := strconv.ParseInt(first, 10, 64)
	b, errB := strconv.ParseInt(last, 10, 64)
	if !ok || !ok2 || errA != nil || errB != nil || a < 0 || b < a {
		return 0, 0, &Error{Code: ErrInvalidArgument, Message: "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
			Fields: []Field{{"ArgumentName", "x-amz-copy-source-range"}, {"ArgumentValue", v}}}
	}
	if b >= size {
		return 0, 0, &Error{Code: ErrInvalidRange, Message: "The requested range is not satisfiable",
			Fields: []Field{{"RangeRequested", v}, {"ActualObjectSize", strconv.FormatInt(size, 10)}}}
	}
	return a, b - a + 1, nil
}

// completeUpload answers CompleteMultipartUpload. A retry of a completion
// that succeeded (its answer lost), listing the same parts, answers the same
// success while the object it made is still there; a retry racing the first
// waits for it.
func (s *Server) completeUpload(c echo.Context, st *request) error {
	ctx := c.Request().Context()
	id := st.query.Get("uploadId")
	if _, _, err := s.store.ListParts(ctx, st.bucket, st.key, id); err != nil {
		prev := s.completions.lookup(id)
		if !errors.Is(err, ErrNoSuchUpload) || prev == nil || prev.bucket != st.bucket || prev.key != st.key {
			return noSuchUpload(err, id)
		}
	}
	want, err := s.readPartList(c, st, id)
	if err != nil {
		return err
	}
	for {
		rec, first := s.completions.begin(id, &completion{bucket: st.bucket, key: st.key, parts: want})
		if first {
			// The conditions are those of the first completion: its retry
			// finds the object it made. They are checked against the
			// object there before the parts are assembled, not again by
			// the store as the object appears.
			if _, _, err := s.writePreconditions(ctx, c.Request().Header, st); err != nil {
				s.completions.finish(id, rec, ObjectInfo{}, false, false)
				return err
			}
			done, withChecksum, err := s.assemble(c, st, id, want)
			s.completions.finish(id, rec, done, withChecksum, err == nil)
			if err != nil {
				return err
			}
			return s.writeCompleted(c, st, done, withChecksum)
		}
		select {
		case <-rec.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !rec.ok {
			continue // that attempt failed and left the upload: try again
		}
		cur, err := s.store.HeadObject(ctx, st.bucket, st.key)
		if rec.bucket != st.bucket || rec.key != st.key || !slices.Equal(rec.parts, want) || err != nil || cur.ETag != rec.object.ETag {
			return with(ErrNoSuchUpload, "UploadId", id)
		}
		return s.writeCompleted(c, st, rec.object, rec.withChecksum)
	}
}

// readPartList reads the part list of a CompleteMultipartUpload: part
// numbers ascending. A part number listed several times in a row is used
// once, with the ETag listed last, as S3 does: a client that re-sent a
// part lists each upload's ETag, and the last is the one it means.
func (s *Server) readPartList(c echo.Context, st *request, id string) ([]completedPart, error) {
	var req completeMultipartUpload
	if err := s.readXML(c, st, &req, true); err != nil {
		return nil, err
	}
	if len(req.Parts) == 0 {
		return nil, errorf(ErrMalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
	}
	parts := make([]completedPart, 0, len(req.Parts))
	for i, p := range req.Parts {
		cp := completedPart{number: p.PartNumber, etag: strings.Trim(p.ETag, `"`), checksums: p.xmlChecksums}
		if i > 0 {
			prev := parts[len(parts)-1]
			if cp.number < prev.number {
				return nil, with(ErrInvalidPartOrder, "UploadId", id)
			}
			if cp.number == prev.number {
				parts[len(parts)-1] = cp
				continue
			}
		}
		parts = append(parts, cp)
	}
	return parts, nil
}

// assemble makes the object of upload id from the listed parts, checked
// against the stored ones, and reports whether the answer names its
// checksum (the upload asked for one).
func (s *Server) assemble(c echo.Context, st *request, id string, want []completedPart) (ObjectInfo, bool, error) {
	ctx := c.Request().Context()
	u, stored, err := s.store.ListParts(ctx, st.bucket, st.key, id)
	if err != nil {
		return ObjectInfo{}, false, noSuchUpload(err, id)
	}
	byNumber := make(map[int]PartInfo, len(stored))
	for _, p := range stored {
		byNumber[p.Number] = p
	}
	var (
		parts     = make([]PartInfo, len(want))
		checksums = make([]Checksum, len(want))
		sizes     = make([]int64, len(want))
		md5s      = md5.New()
		size      int64
	)
	for i, w := range want {
		p, ok := byNumber[w.number]
		if !ok || w.etag != strings.Trim(p.ETag, `"`) {
			return ObjectInfo{}, false, with(ErrInvalidPart, "UploadId", id, "PartNumber", strconv.Itoa(w.number), "ETag", w.etag)
		}
		if v := w.checksums.get(p.Checksum.Algorithm); u.ChecksumAlgorithm != "" && v != "" && v != p.Checksum.Value {
			return ObjectInfo{}, false, with(ErrInvalidPart, "UploadId", id, "PartNumber", strconv.Itoa(w.number), "ETag", w.etag)
		}
		if i < len(want)-1 && p.Size < minPartSize {
			return ObjectInfo{}, false, with(ErrEntityTooSmall, "ProposedSize", strconv.FormatInt(p.Size, 10),
				"MinSizeAllowed", strconv.Itoa(minPartSize), "PartNumber", strconv.Itoa(p.Number), "ETag", p.ETag)
		}
		raw, _ := hex.DecodeString(strings.Trim(p.ETag, `"`))
		md5s.Write(raw)
		parts[i], checksums[i], sizes[i] = p, p.Checksum, p.Size
		size += p.Size
	}
	info := u.Object
	info.Key, info.Size, info.PartSizes = st.key, size, sizes
	info.ETag = `"` + hex.EncodeToString(md5s.Sum(nil)) + "-" + strconv.Itoa(len(parts)) + `"`
	info.LastModified = s.clock().UTC()
	info.Checksum = multipartChecksum(u, checksums, sizes)
	done, err := s.store.CompleteUpload(ctx, st.bucket, id, parts, info)
	if err != nil {
		return ObjectInfo{}, false, noSuchUpload(err, id)
	}
	return done, u.ChecksumAlgorithm != "" && done.Checksum.Value != "", nil
}

// writeCompleted answers a completed upload.
func (s *Server) writeCompleted(c echo.Context, st *request, done ObjectInfo, withChecksum bool) error {
	r := c.Request()
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	location := scheme + "://" + r.Host + uriEncode(st.path, false)
	res := completeMultipartUploadResult{
		Xmlns: s3Namespace, Location: location, Bucket: st.bucket, Key: st.key, ETag: done.ETag,
	}
	if withChecksum {
		res.xmlChecksums = checksumElements(done.Checksum)
		res.ChecksumType = done.Checksum.Type
	}
	return writeXML(c, http.StatusOK, res)
}

// multipartChecksum combines the part checksums as the upload asked:
// COMPOSITE (checksum of checksums, "-N") or FULL_OBJECT (CRC of the whole
// object). Uploads that named no algorithm get S3's default, a FULL_OBJECT
// CRC64NVME. The result is empty when the parts do not allow it.
func multipartChecksum(u UploadInfo, parts []Checksum, sizes []int64) Checksum {
	alg, typ := defaultChecksum, "FULL_OBJECT"
	if a, ok := checksumByName(u.ChecksumAlgorithm); ok {
		alg, typ = a, u.ChecksumType
	}
	var (
		v  string
		ok bool
	)
	if typ == "COMPOSITE" {
		v, ok = alg.composite(parts)
	} else {
		v, ok = alg.fullObject(parts, sizes)
	}
	if !ok {
		return Checksum{}
	}
	return Checksum{Algorithm: alg.name, Value: v, Type: typ}
}

func (s *Server) abortUpload(c echo.Context, st *request) error {
	id := st.query.Get("uploadId")
	if err := s.store.AbortUpload(c.Request().Context(), st.bucket, st.key, id); err != nil {
		return noSuchUpload(err, id)
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listParts(c echo.Context, st *request) error {
	id := st.query.Get("uploadId")
	u, parts, err := s.store.ListParts(c.Request().Context(), st.bucket, st.key, id)
	if err != nil {
		return noSuchUpload(err, id)
	}
	maxParts, marker := 1000, 0
	if v := st.query.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &Error{Code: ErrInvalidArgument, Message: "Provided max-parts not an integer or within integer range",
				Fields: []Field{{"ArgumentName", "max-parts"}, {"ArgumentValue", v}}}
		}
		maxParts = min(n, 1000)
	}
	if v := st.query.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &Error{Code: ErrInvalidArgument, Message: "Provided part-number-marker not an integer or within integer range",
				Fields: []Field{{"ArgumentName", "part-number-marker"}, {"ArgumentValue", v}}}
		}
		marker = n
	}
	res := listPartsResult{
		Xmlns: s3Namespace, Bucket: st.bucket, Key: st.key, UploadID: id,
		Initiator: fakeOwner, Owner: fakeOwner, StorageClass: storageClass(u.Object),
		PartNumberMarker: marker, MaxParts: maxParts, ChecksumAlgorithm: u.ChecksumAlgorithm,
	}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) == maxParts {
			res.IsTruncated = true
			break
		}
		x := xmlPart{PartNumber: p.Number, LastModified: xmlTime(p.LastModified), ETag: p.ETag, Size: p.Size}
		if u.ChecksumAlgorithm != "" {
			x.xmlChecksums = checksumElements(p.Checksum)
		}
		res.Parts = append(res.Parts, x)
		res.NextPartNumberMarker = p.Number
	}
	return writeXML(c, http.StatusOK, res)
}

func (s *Server) listUploads(c echo.Context, st *request) error {
	uploads, err := s.store.ListUploads(c.Request().Context(), st.bucket)
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	prefix := st.query.Get("prefix")
	res := listMultipartUploadsResult{Xmlns: s3Namespace, Bucket: st.bucket, Prefix: prefix, MaxUploads: 1000}
	for _, u := range uploads {
		if !strings.HasPrefix(u.Key, prefix) {
			continue
		}
		if len(res.Uploads) == res.MaxUploads {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, xmlUpload{
			Key: u.Key, UploadID: u.ID, Initiator: fakeOwner, Owner: fakeOwner,
			StorageClass: storageClass(u.Object), Initiated: xmlTime(u.Initiated),
		})
		res.NextKeyMarker, res.NextUploadIDMarker = u.Key, u.ID
	}
	return writeXML(c, http.StatusOK, res)
}
