package s3

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gotest.tools/v3/assert"
)

// startUpload creates an upload of bucket/key and uploads the given parts,
// numbered from 1, returning its ID and the parts as Complete lists them.
func startUpload(t *testing.T, c *s3sdk.Client, bucket, key string, parts ...[]byte) (string, []types.CompletedPart) {
	t.Helper()
	ctx := t.Context()
	cr, err := c.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	assert.NilError(t, err)
	var done []types.CompletedPart
	for i, p := range parts {
		n := aws.Int32(int32(i + 1))
		up, err := c.UploadPart(ctx, &s3sdk.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: cr.UploadId,
			PartNumber: n, Body: bytes.NewReader(p)})
		assert.NilError(t, err)
		done = append(done, types.CompletedPart{PartNumber: n, ETag: up.ETag})
	}
	return aws.ToString(cr.UploadId), done
}

func complete(t *testing.T, c *s3sdk.Client, bucket, key, id string, parts []types.CompletedPart) (*s3sdk.CompleteMultipartUploadOutput, error) {
	t.Helper()
	return c.CompleteMultipartUpload(t.Context(), &s3sdk.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
}

func getBytes(t *testing.T, c *s3sdk.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(t.Context(), &s3sdk.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	assert.NilError(t, err)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	assert.NilError(t, err)
	return b
}

// An SDK that retries a Complete whose answer was lost gets the first
// answer again, not NoSuchUpload.
func TestSDKCompleteMultipartUploadIsIdempotent(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "mpu")
	p1, p2 := randomBytes(t, minPartSize), randomBytes(t, 1000)
	id, parts := startUpload(t, c, "mpu", "obj", p1, p2)
	assert.Assert(t, len(parts) == 2)

	first, err := complete(t, c, "mpu", "obj", id, parts)
	assert.NilError(t, err)
	again, err := complete(t, c, "mpu", "obj", id, parts)
	assert.NilError(t, err)
	assert.Equal(t, aws.ToString(again.ETag), aws.ToString(first.ETag))
	assert.Equal(t, aws.ToString(again.ChecksumCRC32), aws.ToString(first.ChecksumCRC32))
	assert.Equal(t, aws.ToString(again.Location), aws.ToString(first.Location))
	assert.Assert(t, bytes.Equal(getBytes(t, c, "mpu", "obj"), append(p1, p2...)))

	// Not the same completion: another part list, another key.
	_, err = complete(t, c, "mpu", "obj", id, parts[:1])
	assert.Equal(t, apiCode(err), "NoSuchUpload")
	_, err = complete(t, c, "mpu", "other", id, parts)
	assert.Equal(t, apiCode(err), "NoSuchUpload")
	// Once the object it made is replaced, the upload is gone for good.
	_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("mpu"), Key: aws.String("obj"), Body: bytes.NewReader([]byte("new"))})
	assert.NilError(t, err)
	_, err = complete(t, c, "mpu", "obj", id, parts)
	assert.Equal(t, apiCode(err), "NoSuchUpload")

	// Completes racing each other all answer the one object.
	id, parts = startUpload(t, c, "mpu", "raced", p2)
	var wg sync.WaitGroup
	etags := make([]string, 4)
	errs := make([]error, 4)
	for i := range etags {
		wg.Go(func() {
			out, err := complete(t, c, "mpu", "raced", id, parts)
			errs[i] = err
			if err == nil {
				etags[i] = aws.ToString(out.ETag)
			}
		})
	}
	wg.Wait()
	for i := range etags {
		assert.NilError(t, errs[i])
		assert.Equal(t, etags[i], etags[0])
	}
	assert.Assert(t, bytes.Equal(getBytes(t, c, "mpu", "raced"), p2))

	// After a reset nothing is remembered.
	assert.NilError(t, f.srv.Reset(ctx))
	mustCreateBucket(t, c, "mpu")
	_, err = complete(t, c, "mpu", "raced", id, parts)
	assert.Equal(t, apiCode(err), "NoSuchUpload")
}

// A part number listed several times in a row is that part once, with the
// ETag listed last, which must be the stored part's; out of order is
// InvalidPartOrder.
func TestSDKCompleteWithARepeatedPart(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	mustCreateBucket(t, c, "mpu")
	p1, p2 := randomBytes(t, minPartSize), randomBytes(t, 10)

	id, parts := startUpload(t, c, "mpu", "twice", p1, p2)
	out, err := complete(t, c, "mpu", "twice", id, []types.CompletedPart{parts[0], parts[0], parts[1]})
	assert.NilError(t, err)
	assert.Assert(t, bytes.HasSuffix([]byte(aws.ToString(out.ETag)), []byte(`-2"`)), aws.ToString(out.ETag))
	assert.Assert(t, bytes.Equal(getBytes(t, c, "mpu", "twice"), append(p1, p2...)))

	id, parts = startUpload(t, c, "mpu", "mismatch", p2, p2[:5])
	other := types.CompletedPart{PartNumber: parts[0].PartNumber, ETag: parts[1].ETag}
	_, err = complete(t, c, "mpu", "mismatch", id, []types.CompletedPart{parts[0], other, parts[1]})
	assert.Equal(t, apiCode(err), "InvalidPart")
	_, err = complete(t, c, "mpu", "mismatch", id, []types.CompletedPart{parts[1], parts[0]})
	assert.Equal(t, apiCode(err), "InvalidPartOrder")
	// The failed attempts left the upload as it was; listed last, the
	// stored ETag wins over an earlier one.
	_, err = complete(t, c, "mpu", "mismatch", id, []types.CompletedPart{other, parts[0]})
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(getBytes(t, c, "mpu", "mismatch"), p2))
}
