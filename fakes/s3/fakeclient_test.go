package s3

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
	"github.com/devenv-sh/devenv/internal/testsupport"
)

// TestFakeclientReadsBackWhatWasStored puts a gzip'd object of JSON lines
// with aws-sdk-go-v2, as fluentd's out_s3 writes them, and checks that
// package fakeclient, which mirrors the inspection API's JSON rather than
// importing this package, reads back exactly what was stored, and that its
// types know every field the fake answers.
func TestFakeclientReadsBackWhatWasStored(t *testing.T) {
	f := newFake(t, false)
	sdk := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, sdk, "delish-logs")
	lines := []string{`{"event_type":"click","user_id":42}`, `{"event_type":"view","note":"a\tb"}`, `{}`}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write([]byte(strings.Join(lines, "\n") + "\n"))
	assert.NilError(t, err)
	assert.NilError(t, zw.Close())
	key := "logs/click/20261126_0.gz"
	_, err = sdk.PutObject(ctx, &s3sdk.PutObjectInput{
		Bucket: aws.String("delish-logs"), Key: aws.String(key), Body: bytes.NewReader(gz.Bytes()),
		ContentType: aws.String("application/x-gzip"), Metadata: map[string]string{"Owner": "devenv"},
		CacheControl: aws.String("no-cache"), ServerSideEncryption: "AES256",
	})
	assert.NilError(t, err)
	head, err := sdk.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: aws.String("delish-logs"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	assert.NilError(t, err)

	got, err := f.client.Lines(ctx, "delish-logs", key)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, lines)
	raw, err := f.client.Object(ctx, "delish-logs", key, false)
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(raw, gz.Bytes()), "Object without decompress is the stored bytes")

	objs, err := f.client.Objects(ctx, "delish-logs", "logs/")
	assert.NilError(t, err)
	assert.Assert(t, is.Len(objs, 1))
	o := objs[0]
	assert.Check(t, is.Equal(o.Bucket, "delish-logs"))
	assert.Check(t, is.Equal(o.Key, key))
	assert.Check(t, is.Equal(o.Size, aws.ToInt64(head.ContentLength)))
	assert.Check(t, is.Equal(o.ETag, aws.ToString(head.ETag)))
	assert.Check(t, is.Equal(o.LastModified.Truncate(time.Second), aws.ToTime(head.LastModified)))
	assert.Check(t, is.Equal(o.ContentType, "application/x-gzip"))
	assert.Check(t, is.Equal(o.CacheControl, "no-cache"))
	assert.Check(t, is.DeepEqual(o.Metadata, map[string]string{"owner": "devenv"}))
	assert.Check(t, is.Equal(o.Headers["x-amz-server-side-encryption"], "AES256"))
	assert.Check(t, is.DeepEqual(o.Checksum, fakeclient.S3Checksum{Algorithm: "CRC32", Value: aws.ToString(head.ChecksumCRC32), Type: "FULL_OBJECT"}))

	waited, err := f.client.WaitObjects(ctx, "delish-logs", "logs/", 1, time.Second)
	assert.NilError(t, err)
	assert.DeepEqual(t, waited, objs)
	buckets, err := f.client.Buckets(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Len(buckets, 1))
	assert.Check(t, is.Equal(buckets[0].Name, "delish-logs"))
	puts, err := f.client.Requests(ctx, fakeclient.S3RequestFilter{Op: "PutObject", Bucket: "delish-logs"})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(puts, 1))
	assert.Check(t, is.Equal(puts[0].Key, key))
	assert.Check(t, is.Equal(puts[0].Status, 200))
	assert.Check(t, is.Equal(puts[0].Auth, "sigv4"))
	assert.Check(t, is.Equal(puts[0].AccessKey, testAccessKey))
	assert.Check(t, puts[0].Duration > 0)
	counts, err := f.client.Counts(ctx)
	assert.NilError(t, err)
	assert.Check(t, is.Equal(counts["PutObject"], 1))

	// What the client decoded is all the fake answered, field for field.
	base := f.ts.URL + "/_devenv"
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/objects?bucket=delish-logs"), &[]fakeclient.S3Object{})
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/wait?bucket=delish-logs&count=1"), &[]fakeclient.S3Object{})
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/buckets"), &[]fakeclient.S3Bucket{})
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/requests"), &[]fakeclient.S3Request{})
}

// TestFakeclientKnowsACLsRegionsAndOwners checks that fakeclient decodes
// the fields the inspection API answers only for some buckets and objects
// (a LocationConstraint, canned ACLs, a second owner), which the types
// once lacked.
func TestFakeclientKnowsACLsRegionsAndOwners(t *testing.T) {
	const altKey, altSecret = "AKIDALTERNATE", "alternate-secret"
	f := newFake(t, false, WithCredentials(testAccessKey, testSecretKey), WithCredentials(altKey, altSecret))
	alt := f.sdk(t, func(o *s3sdk.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(altKey, altSecret, "")
	})
	ctx := t.Context()
	_, err := alt.CreateBucket(ctx, &s3sdk.CreateBucketInput{
		Bucket: aws.String("theirs"), ACL: types.BucketCannedACLPublicRead,
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1},
	})
	assert.NilError(t, err)
	_, err = alt.PutObject(ctx, &s3sdk.PutObjectInput{
		Bucket: aws.String("theirs"), Key: aws.String("k"), Body: strings.NewReader("foo"), ACL: types.ObjectCannedACLPublicRead,
	})
	assert.NilError(t, err)

	buckets, err := f.client.Buckets(ctx)
	assert.NilError(t, err)
	assert.Assert(t, is.Len(buckets, 1))
	assert.Check(t, is.Equal(buckets[0].Region, "eu-west-1"))
	assert.Check(t, is.Equal(buckets[0].ACL, "public-read"))
	assert.Check(t, buckets[0].Owner != "", "the second owner's bucket names it")
	objs, err := f.client.Objects(ctx, "theirs", "")
	assert.NilError(t, err)
	assert.Assert(t, is.Len(objs, 1))
	assert.Check(t, is.Equal(objs[0].ACL, "public-read"))

	base := f.ts.URL + "/_devenv"
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/buckets"), &[]fakeclient.S3Bucket{})
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/objects"), &[]fakeclient.S3Object{})
	testsupport.CheckMirror(t, testsupport.Get(t, base+"/wait?bucket=theirs&count=1"), &[]fakeclient.S3Object{})
}
