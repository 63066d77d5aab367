package s3

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// An empty Content-MD5 header is an invalid digest, not an absent one
// (ceph/s3-tests test_object_create_bad_md5_empty).
func TestEmptyContentMD5IsInvalidDigest(t *testing.T) {
	f := newFake(t, false)
	putRaw(t, f, "/md5", nil, nil)
	resp, body := f.send(t, rawReq{method: http.MethodPut, path: "/md5/k", body: []byte("bar"), header: map[string]string{"Content-MD5": ""}})
	assert.Equal(t, resp.StatusCode, http.StatusBadRequest, string(body))
	assert.Equal(t, xmlCode(body), "InvalidDigest")
	resp, _ = f.send(t, rawReq{method: http.MethodHead, path: "/md5/k"})
	assert.Equal(t, resp.StatusCode, http.StatusNotFound, "nothing stored")
}

// User metadata is limited to 2 KB, names (without x-amz-meta-) and values
// counted together.
func TestSDKMetadataTooLarge(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "meta")
	fits := map[string]string{"a": strings.Repeat("x", 1000), "bb": strings.Repeat("y", 1045)} // 2,048 bytes
	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("meta"), Key: aws.String("fits"), Body: strings.NewReader("x"), Metadata: fits})
	assert.NilError(t, err)
	head, err := c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("fits")})
	assert.NilError(t, err)
	assert.DeepEqual(t, head.Metadata, fits)

	over := map[string]string{"a": strings.Repeat("x", 1000), "bb": strings.Repeat("y", 1046)}
	_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("meta"), Key: aws.String("over"), Body: strings.NewReader("x"), Metadata: over})
	assert.Equal(t, apiCode(err), "MetadataTooLarge")
	assert.ErrorContains(t, err, "StatusCode: 400")
	_, err = c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String("meta"), Key: aws.String("over"), Metadata: over})
	assert.Equal(t, apiCode(err), "MetadataTooLarge")
	_, err = c.CopyObject(ctx, &s3sdk.CopyObjectInput{Bucket: aws.String("meta"), Key: aws.String("over"), CopySource: aws.String("meta/fits"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: over})
	assert.Equal(t, apiCode(err), "MetadataTooLarge")
	_, err = c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("over")})
	assert.ErrorContains(t, err, "404")
}

// ceph/s3-tests test_multipart_copy_invalid_range and
// test_multipart_copy_improper_range.
func TestSDKUploadPartCopyRanges(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "copy")
	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("copy"), Key: aws.String("src"), Body: strings.NewReader("01234")})
	assert.NilError(t, err)
	cr, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String("copy"), Key: aws.String("dst")})
	assert.NilError(t, err)
	copyPart := func(rng string) error {
		_, err := c.UploadPartCopy(ctx, &s3sdk.UploadPartCopyInput{Bucket: aws.String("copy"), Key: aws.String("dst"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String("copy/src"), CopySourceRange: aws.String(rng)})
		return err
	}
	for _, rng := range []string{"bytes=0-21", "bytes=5-5", "bytes=2-5"} {
		err := copyPart(rng)
		assert.Equal(t, apiCode(err), "InvalidRange", rng)
	}
	for _, rng := range []string{"0-2", "bytes=0", "bytes=hello-world", "bytes=0-bar", "bytes=hello-", "bytes=0-2,3-5", "bytes=3-1", "bytes=-2", "bytes=1-"} {
		err := copyPart(rng)
		assert.Equal(t, apiCode(err), "InvalidArgument", rng)
		assert.ErrorContains(t, err, "StatusCode: 400")
	}
	assert.NilError(t, copyPart("bytes=1-4"))
	parts, err := c.ListParts(ctx, &s3sdk.ListPartsInput{Bucket: aws.String("copy"), Key: aws.String("dst"), UploadId: cr.UploadId})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(parts.Parts, 1))
	assert.Equal(t, aws.ToInt64(parts.Parts[0].Size), int64(4))
}

// CreateBucket's LocationConstraint is the bucket's region, answered by
// GetBucketLocation and HeadBucket (ceph/s3-tests test_bucket_get_location),
// and kept with --data-dir.
func TestSDKLocationConstraintIsKept(t *testing.T) {
	dir := t.TempDir()
	ds, err := OpenDiskStore(dir)
	assert.NilError(t, err)
	f := newFake(t, false)
	f.srv = New(ds)
	f.ts.Config.Handler = f.srv.Handler()
	c := f.sdk(t)
	ctx := t.Context()
	_, err = c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("placed"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
	assert.NilError(t, err)
	mustCreateBucket(t, c, "default")

	check := func() {
		t.Helper()
		loc, err := c.GetBucketLocation(ctx, &s3sdk.GetBucketLocationInput{Bucket: aws.String("placed")})
		assert.NilError(t, err)
		assert.Equal(t, loc.LocationConstraint, types.BucketLocationConstraintEuWest1)
		head, err := c.HeadBucket(ctx, &s3sdk.HeadBucketInput{Bucket: aws.String("placed")})
		assert.NilError(t, err)
		assert.Equal(t, aws.ToString(head.BucketRegion), "eu-west-1")
		loc, err = c.GetBucketLocation(ctx, &s3sdk.GetBucketLocationInput{Bucket: aws.String("default")})
		assert.NilError(t, err)
		assert.Equal(t, loc.LocationConstraint, types.BucketLocationConstraint(""))
	}
	check()
	ds, err = OpenDiskStore(dir) // a restart
	assert.NilError(t, err)
	f.ts.Config.Handler = New(ds).Handler()
	check()
}
