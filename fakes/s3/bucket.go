package s3

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// validBucketName applies S3's general-purpose bucket naming rules:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return false
	}
	if strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return false
		}
	}
	return true
}

// maxListBuckets is the largest max-buckets S3 accepts.
const maxListBuckets = 10000

// listBuckets answers ListBuckets: every bucket of the caller by name, or with
// max-buckets a page of them whose ContinuationToken (an opaque token that
// names the page's last bucket) continues the listing; prefix keeps the
// buckets whose names start with it.
func (s *Server) listBuckets(c echo.Context, st *request) error {
	q := st.query
	limit := 0 // every bucket
	if v, ok := q["max-buckets"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > maxListBuckets {
			return &Error{Code: ErrInvalidArgument, Message: "Argument max-buckets must be an integer between 1 and 10000.",
				Fields: []Field{{"ArgumentName", "max-buckets"}, {"ArgumentValue", v[0]}}}
		}
		limit = n
	}
	var after string
	if tok := q.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return &Error{Code: ErrInvalidArgument, Message: "The continuation token provided is incorrect",
				Fields: []Field{{"ArgumentName", "continuation-token"}}}
		}
		after = string(raw)
	}
	prefix := q.Get("prefix")
	buckets, err := s.store.ListBuckets(c.Request().Context())
	if err != nil {
		return err
	}
	me := s.caller(st)
	res := listAllMyBucketsResult{Xmlns: s3Namespace, Owner: me, Buckets: []xmlBucket{}}
	if _, ok := q["prefix"]; ok {
		res.Prefix = &prefix
	}
	for _, b := range buckets {
		if b.Name <= after || !strings.HasPrefix(b.Name, prefix) || bucketOwnerID(b) != me.ID {
			continue
		}
		if limit > 0 && len(res.Buckets) == limit {
			res.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.Buckets[limit-1].Name))
			break
		}
		res.Buckets = append(res.Buckets, xmlBucket{Name: b.Name, CreationDate: xmlTime(b.Created)})
	}
	return writeXML(c, http.StatusOK, res)
}

func (s *Server) createBucket(c echo.Context, st *request) error {
	if !validBucketName(st.bucket) {
		return with(ErrInvalidBucketName, "BucketName", st.bucket)
	}
	acl, err := cannedACL(c.Request().Header)
	if err != nil {
		return err
	}
	var cfg createBucketConfiguration
	if err := s.readXML(c, st, &cfg, false); err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = s.store.CreateBucket(ctx, BucketInfo{Name: st.bucket, Created: s.clock().UTC(), Region: cfg.LocationConstraint, ACL: acl,
		Owner: storedOwnerID(s.caller(st))})
	if errors.Is(err, ErrBucketAlreadyOwnedByYou) {
		// Bucket names are shared by all owners.
		if b, herr := s.store.HeadBucket(ctx, st.bucket); herr == nil && bucketOwnerID(b) != s.caller(st).ID {
			return with(ErrBucketAlreadyExists, "BucketName", st.bucket)
		}
		// S3 answers 200 to re-creating a bucket you own in us-east-1 (its
		// legacy behaviour) and 409 BucketAlreadyOwnedByYou elsewhere.
		if s.region != "us-east-1" {
			return with(ErrBucketAlreadyOwnedByYou, "BucketName", st.bucket)
		}
		err = nil
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/"+st.bucket)
	return c.NoContent(http.StatusOK)
}

// noSuchBucket adds the bucket name to NoSuchBucket errors, as S3 does.
func noSuchBucket(err error, bucket string) error {
	if errors.Is(err, ErrNoSuchBucket) {
		return with(ErrNoSuchBucket, "BucketName", bucket)
	}
	return err
}

// bucketRegion is the region of a bucket: its LocationConstraint, else the
// server's.
func (s *Server) bucketRegion(b BucketInfo) string {
	if b.Region != "" {
		return b.Region
	}
	return s.region
}

func (s *Server) headBucket(c echo.Context, st *request) error {
	b, err := s.store.HeadBucket(c.Request().Context(), st.bucket)
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	h := c.Response().Header()
	h.Set("X-Amz-Bucket-Region", s.bucketRegion(b))
	h.Set("X-Amz-Access-Point-Alias", "false")
	return c.NoContent(http.StatusOK)
}

func (s *Server) deleteBucket(c echo.Context, st *request) error {
	err := s.store.DeleteBucket(c.Request().Context(), st.bucket)
	if errors.Is(err, ErrBucketNotEmpty) {
		return with(ErrBucketNotEmpty, "BucketName", st.bucket)
	}
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	return c.NoContent(http.StatusNoContent)
}

// getBucketLocation answers the LocationConstraint the bucket was created
// with, else the server's region.
func (s *Server) getBucketLocation(c echo.Context, st *request) error {
	b, err := s.store.HeadBucket(c.Request().Context(), st.bucket)
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	region := b.Region
	if region == "" && s.region != "us-east-1" {
		region = s.region // S3 reports us-east-1 as an empty constraint
	}
	return writeXML(c, http.StatusOK, locationConstraint{Xmlns: s3Namespace, Region: region})
}

// readXML reads an XML request body into v through the integrity checks of
// every body. An empty body is MalformedXML when required, else leaves v
// as it is.
func (s *Server) readXML(c echo.Context, st *request, v any, required bool) error {
	r := c.Request()
	b, err := s.newBody(r, st, xmlLimits, defaultChecksum)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(b)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		if required {
			return with(ErrMalformedXML)
		}
		return nil
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return with(ErrMalformedXML)
	}
	return nil
}
