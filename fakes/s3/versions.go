package s3

import (
	"encoding/xml"
	"net/http"

	"github.com/labstack/echo/v4"
)

// nullVersion is the version ID S3 gives an object of a bucket whose
// versioning was never enabled: every object of the fake has this one
// version.
const nullVersion = "null"

// checkVersionID checks a versionId parameter, which on a bucket without
// versioning can only name the null version; S3 answers any other with 400
// InvalidArgument.
func checkVersionID(v string) error {
	if v != nullVersion {
		return &Error{Code: ErrInvalidArgument, Message: "Invalid version id specified",
			Fields: []Field{{"ArgumentName", "versionId"}, {"ArgumentValue", v}}}
	}
	return nil
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	Xmlns   string   `xml:"xmlns,attr"`
}

type xmlVersion struct {
	Key               string `xml:"Key"`
	VersionID         string `xml:"VersionId"`
	IsLatest          bool   `xml:"IsLatest"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Size              int64  `xml:"Size"`
	StorageClass      string `xml:"StorageClass"`
	Owner             owner  `xml:"Owner"`
}

type listVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	Xmlns               string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	Versions            []xmlVersion   `xml:"Version"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
}

// getBucketVersioning answers the configuration of a bucket whose
// versioning was never enabled: no Status element, as S3 answers.
func (s *Server) getBucketVersioning(c echo.Context, st *request) error {
	if _, err := s.store.HeadBucket(c.Request().Context(), st.bucket); err != nil {
		return noSuchBucket(err, st.bucket)
	}
	return writeXML(c, http.StatusOK, versioningConfiguration{Xmlns: s3Namespace})
}

func (s *Server) putBucketVersioning(_ echo.Context, _ *request) error {
	return errorf(ErrNotImplemented, "Bucket versioning is not implemented by devenv's fake S3: every object has the one version null, and ListObjectVersions lists it.")
}

// listObjectVersions answers ListObjectVersions for a bucket without
// versioning: each object is its only version, null, and the latest. It
// takes prefix, delimiter, max-keys, key-marker, version-id-marker and
// encoding-type=url; a page resumes after NextKeyMarker (the version-id
// marker can only be null, which every key has once).
func (s *Server) listObjectVersions(c echo.Context, st *request) error {
	q := st.query
	lq, err := parseListQuery(q)
	if err != nil {
		return err
	}
	keyMarker, versionMarker := q.Get("key-marker"), q.Get("version-id-marker")
	if versionMarker != "" {
		if keyMarker == "" {
			return &Error{Code: ErrInvalidArgument, Message: "A version-id marker cannot be specified without a key marker.",
				Fields: []Field{{"ArgumentName", "version-id-marker"}, {"ArgumentValue", versionMarker}}}
		}
		if versionMarker != nullVersion {
			return &Error{Code: ErrInvalidArgument, Message: "Invalid version id specified",
				Fields: []Field{{"ArgumentName", "version-id-marker"}, {"ArgumentValue", versionMarker}}}
		}
	}
	res := listVersionsResult{
		Xmlns: s3Namespace, Name: st.bucket, Prefix: lq.enc(lq.prefix), KeyMarker: lq.enc(keyMarker),
		VersionIDMarker: versionMarker, MaxKeys: lq.maxKeys, Delimiter: lq.enc(lq.delim), EncodingType: lq.encoding,
	}
	truncated, last, err := s.walk(c.Request().Context(), st.bucket, lq.prefix, lq.delim, keyMarker, lq.maxKeys,
		func(o ObjectInfo) {
			res.Versions = append(res.Versions, xmlVersion{
				Key: lq.enc(o.Key), VersionID: nullVersion, IsLatest: true, LastModified: xmlTime(o.LastModified),
				ETag: o.ETag, ChecksumAlgorithm: o.Checksum.Algorithm, ChecksumType: o.Checksum.Type,
				Size: o.Size, StorageClass: storageClass(o), Owner: fakeOwner,
			})
		},
		func(cp string) { res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{lq.enc(cp)}) })
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	if truncated {
		// Given even when the page ends on a common prefix: clients pass
		// both markers back, and null resumes after the key marker.
		res.IsTruncated, res.NextKeyMarker, res.NextVersionIDMarker = true, lq.enc(last), nullVersion
	}
	return writeXML(c, http.StatusOK, res)
}
