package s3

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// walkVersions walks a ListObjectVersions listing with the SDK paginator;
// each entry is "V:key" for a version, "P:prefix" for a common prefix.
func walkVersions(t *testing.T, c *s3sdk.Client, in *s3sdk.ListObjectVersionsInput) (entries []string, pages int, versions []types.ObjectVersion) {
	t.Helper()
	p := s3sdk.NewListObjectVersionsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		assert.NilError(t, err)
		pages++
		assert.Assert(t, pages <= 2000, "the walk does not end")
		for _, v := range page.Versions {
			entries = append(entries, "V:"+aws.ToString(v.Key))
			versions = append(versions, v)
		}
		for _, cp := range page.CommonPrefixes {
			entries = append(entries, "P:"+aws.ToString(cp.Prefix))
		}
		assert.Assert(t, len(page.DeleteMarkers) == 0)
	}
	return entries, pages, versions
}

// walkV2 is the ListObjectsV2 walk of the same listing, in walkVersions'
// form: an unversioned bucket's versions are its objects.
func walkV2(t *testing.T, c *s3sdk.Client, in *s3sdk.ListObjectsV2Input) []string {
	t.Helper()
	var entries []string
	p := s3sdk.NewListObjectsV2Paginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		assert.NilError(t, err)
		for _, o := range page.Contents {
			entries = append(entries, "V:"+aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			entries = append(entries, "P:"+aws.ToString(cp.Prefix))
		}
	}
	return entries
}

// ceph/s3-tests empties every bucket it made this way, whatever the test:
// ListObjectVersions pages of 128 (both Next markers passed back), then
// DeleteObjects of each page's Key and VersionId, quiet.
func TestSDKListObjectVersionsWalkAndCephCleanup(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "versions")
	etags := map[string]string{}
	var keys []string
	for i := range 1030 {
		k := fmt.Sprintf("k/%04d", i)
		switch i % 100 {
		case 7:
			k = fmt.Sprintf("dir%d/sub/%d", i/100, i)
		case 8:
			k = fmt.Sprintf("dir%d/%d", i/100, i)
		}
		out, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("versions"), Key: aws.String(k), Body: strings.NewReader(k)})
		assert.NilError(t, err)
		etags[k] = aws.ToString(out.ETag)
		keys = append(keys, k)
	}

	// The default page (1,000) walks the bucket in two pages, each object
	// its one version, null, the latest.
	entries, pages, versions := walkVersions(t, c, &s3sdk.ListObjectVersionsInput{Bucket: aws.String("versions")})
	assert.Equal(t, pages, 2)
	assert.Equal(t, len(entries), len(keys))
	assert.DeepEqual(t, entries, walkV2(t, c, &s3sdk.ListObjectsV2Input{Bucket: aws.String("versions")}))
	for _, v := range versions {
		k := aws.ToString(v.Key)
		assert.Equal(t, aws.ToString(v.VersionId), "null", k)
		assert.Assert(t, aws.ToBool(v.IsLatest), k)
		assert.Equal(t, aws.ToString(v.ETag), etags[k], k)
		assert.Equal(t, aws.ToInt64(v.Size), int64(len(k)), k)
		assert.Equal(t, v.StorageClass, types.ObjectVersionStorageClassStandard)
		assert.Equal(t, aws.ToString(v.Owner.ID), fakeOwner.ID)
	}

	// Prefix and delimiter page as ListObjectsV2 does, whatever the page
	// size, common prefixes counting towards max-keys.
	for _, in := range []s3sdk.ListObjectVersionsInput{
		{Delimiter: aws.String("/")},
		{Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)},
		{Prefix: aws.String("dir"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(3)},
		{Prefix: aws.String("dir1/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)},
		{Prefix: aws.String("k/00"), MaxKeys: aws.Int32(7)},
	} {
		in.Bucket = aws.String("versions")
		name := fmt.Sprintf("prefix=%q delimiter=%q max-keys=%d", aws.ToString(in.Prefix), aws.ToString(in.Delimiter), aws.ToInt32(in.MaxKeys))
		got, _, _ := walkVersions(t, c, &in)
		want := walkV2(t, c, &s3sdk.ListObjectsV2Input{Bucket: in.Bucket, Prefix: in.Prefix, Delimiter: in.Delimiter})
		assert.DeepEqual(t, got, want)
		assert.Assert(t, len(want) > 1, name)
	}

	// A page starts after its key marker.
	out, err := c.ListObjectVersions(ctx, &s3sdk.ListObjectVersionsInput{
		Bucket: aws.String("versions"), KeyMarker: aws.String("k/0005"), VersionIdMarker: aws.String("null"), MaxKeys: aws.Int32(2),
	})
	assert.NilError(t, err)
	assert.Equal(t, aws.ToString(out.Versions[0].Key), "k/0006")
	assert.Equal(t, aws.ToString(out.KeyMarker), "k/0005")
	assert.Equal(t, aws.ToString(out.VersionIdMarker), "null")
	assert.Equal(t, aws.ToString(out.NextKeyMarker), "k/0009") // k/0007 and k/0008 are under dir0/
	assert.Equal(t, aws.ToString(out.NextVersionIdMarker), "null")
	assert.Assert(t, aws.ToBool(out.IsTruncated))

	// The cleanup of ceph/s3-tests: nothing left, the bucket deletes.
	in := &s3sdk.ListObjectVersionsInput{Bucket: aws.String("versions"), MaxKeys: aws.Int32(128)}
	batches := 0
	for truncated := true; truncated; {
		listing, err := c.ListObjectVersions(ctx, in)
		assert.NilError(t, err)
		in.KeyMarker, in.VersionIdMarker = listing.NextKeyMarker, listing.NextVersionIdMarker
		truncated = aws.ToBool(listing.IsTruncated)
		if len(listing.Versions) == 0 {
			continue
		}
		batches++
		var objs []types.ObjectIdentifier
		for _, v := range listing.Versions {
			objs = append(objs, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		del, err := c.DeleteObjects(ctx, &s3sdk.DeleteObjectsInput{
			Bucket: aws.String("versions"), Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)},
			BypassGovernanceRetention: aws.Bool(true),
		})
		assert.NilError(t, err)
		assert.Assert(t, is.Len(del.Errors, 0))
	}
	assert.Equal(t, batches, 9) // 1030 keys, 128 a page; later pages start after deleted keys
	left, err := c.ListObjectVersions(ctx, &s3sdk.ListObjectVersionsInput{Bucket: aws.String("versions")})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(left.Versions, 0))
	assert.Assert(t, !aws.ToBool(left.IsTruncated))
	_, err = c.DeleteBucket(ctx, &s3sdk.DeleteBucketInput{Bucket: aws.String("versions")})
	assert.NilError(t, err)
}

func TestSDKVersioningOfUnversionedBucket(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "plain")
	_, err := c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String("a"), Body: strings.NewReader("a")})
	assert.NilError(t, err)

	// Never enabled: an empty configuration, no Status.
	v, err := c.GetBucketVersioning(ctx, &s3sdk.GetBucketVersioningInput{Bucket: aws.String("plain")})
	assert.NilError(t, err)
	assert.Equal(t, v.Status, types.BucketVersioningStatus(""))
	assert.Equal(t, v.MFADelete, types.MFADeleteStatus(""))
	_, err = c.GetBucketVersioning(ctx, &s3sdk.GetBucketVersioningInput{Bucket: aws.String("nope")})
	assert.Equal(t, apiCode(err), "NoSuchBucket")

	_, err = c.PutBucketVersioning(ctx, &s3sdk.PutBucketVersioningInput{
		Bucket: aws.String("plain"), VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	assert.Equal(t, apiCode(err), "NotImplemented")
	assert.ErrorContains(t, err, "Bucket versioning is not implemented")

	// The null version is the object; no other version exists.
	got, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("plain"), Key: aws.String("a"), VersionId: aws.String("null")})
	assert.NilError(t, err)
	got.Body.Close()
	_, err = c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("plain"), Key: aws.String("a"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")})
	assert.ErrorContains(t, err, "400")
	_, err = c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("plain"), Key: aws.String("a"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")})
	assert.Equal(t, apiCode(err), "InvalidArgument")

	_, err = c.ListObjectVersions(ctx, &s3sdk.ListObjectVersionsInput{Bucket: aws.String("plain"), VersionIdMarker: aws.String("null")})
	assert.Equal(t, apiCode(err), "InvalidArgument")
	assert.ErrorContains(t, err, "A version-id marker cannot be specified without a key marker.")
	_, err = c.ListObjectVersions(ctx, &s3sdk.ListObjectVersionsInput{Bucket: aws.String("nope")})
	assert.Equal(t, apiCode(err), "NoSuchBucket")

	del, err := c.DeleteObjects(ctx, &s3sdk.DeleteObjectsInput{Bucket: aws.String("plain"), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("a"), VersionId: aws.String("not-a-version")}},
	}})
	assert.NilError(t, err)
	assert.Equal(t, len(del.Errors), 1)
	assert.Equal(t, aws.ToString(del.Errors[0].Code), "InvalidArgument")
	assert.Equal(t, aws.ToString(del.Errors[0].VersionId), "not-a-version")

	// DeleteObject of the null version deletes the object.
	_, err = c.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String("plain"), Key: aws.String("a"), VersionId: aws.String("null")})
	assert.NilError(t, err)
	_, err = c.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("plain"), Key: aws.String("a")})
	assert.ErrorContains(t, err, "404")
}

// The listing's XML as S3 spells it, with encoding-type=url.
func TestListObjectVersionsXML(t *testing.T) {
	f := newFake(t, false)
	putRaw(t, f, "/enc", nil, nil)
	for _, k := range []string{"a+b/1", "a+b/2", "c d"} {
		putRaw(t, f, "/enc/"+strings.ReplaceAll(strings.ReplaceAll(k, "+", "%2B"), " ", "%20"), []byte(k), nil)
	}
	resp, body := f.send(t, rawReq{method: http.MethodGet, path: "/enc?versions&delimiter=%2F&encoding-type=url&max-keys=1"})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.Assert(t, is.Contains(string(body), `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`))
	assert.DeepEqual(t, elements(body, "Prefix"), []string{"", "a%2Bb/"})
	assert.DeepEqual(t, elements(body, "NextKeyMarker"), []string{"a%2Bb/"})
	assert.DeepEqual(t, elements(body, "NextVersionIdMarker"), []string{"null"})
	assert.DeepEqual(t, elements(body, "IsTruncated"), []string{"true"})
	resp, body = f.send(t, rawReq{method: http.MethodGet, path: "/enc?versions&delimiter=%2F&encoding-type=url&key-marker=a%2Bb%2F&version-id-marker=null"})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.DeepEqual(t, elements(body, "Key"), []string{"c%20d"})
	assert.DeepEqual(t, elements(body, "VersionId"), []string{"null"})
	assert.DeepEqual(t, elements(body, "IsLatest"), []string{"true"})
	assert.DeepEqual(t, elements(body, "KeyMarker"), []string{"a%2Bb/"})
	assert.DeepEqual(t, elements(body, "EncodingType"), []string{"url"})
	assert.Assert(t, is.Len(elements(body, "NextKeyMarker"), 0))

	resp, body = f.send(t, rawReq{method: http.MethodPost, path: "/enc?versions"})
	assert.Equal(t, resp.StatusCode, http.StatusMethodNotAllowed, string(body))
}
