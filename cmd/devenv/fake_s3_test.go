package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakeclient"
)

var fakeS3ServingRE = regexp.MustCompile(`fake s3: serving (http://\S+)`)

// startFakeS3 runs `devenv fake s3 args...` on a free port until the
// returned stop is called, and returns its base URL.
func startFakeS3(t *testing.T, args ...string) (baseURL string, stop func() error) {
	t.Helper()
	m, stop := startServing(t, fakeS3ServingRE, append([]string{"fake", "s3", "--addr", "127.0.0.1:0"}, args...)...)
	return m[1], stop
}

func sdkFor(baseURL, accessKey, secretKey string) *s3sdk.Client {
	return s3sdk.NewFromConfig(aws.Config{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, func(o *s3sdk.Options) {
		o.BaseEndpoint = aws.String(baseURL)
		o.UsePathStyle = true
	})
}

func TestFakeS3CommandKeepsDataAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	url, stop := startFakeS3(t, "--data-dir", dir, "--access-key", "AKIDCMD", "--secret-key", "cmd-secret")
	c := sdkFor(url, "AKIDCMD", "cmd-secret")
	ctx := t.Context()
	_, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("kept")})
	assert.NilError(t, err)
	_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("kept"), Key: aws.String("a/b.txt"), Body: strings.NewReader("survives")})
	assert.NilError(t, err)
	_, err = sdkFor(url, "AKIDCMD", "wrong").ListBuckets(ctx, &s3sdk.ListBucketsInput{})
	assert.ErrorContains(t, err, "SignatureDoesNotMatch")
	assert.NilError(t, stop())

	url, stop = startFakeS3(t, "--data-dir", dir)
	defer func() { assert.NilError(t, stop()) }()
	got, err := fakeclient.NewS3(url).Object(ctx, "kept", "a/b.txt", false)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "survives")
}

func TestFakeS3CommandRejectsHalfCredentials(t *testing.T) {
	t.Setenv("DEVENV_S3_ACCESS_KEY", "")
	t.Setenv("DEVENV_S3_SECRET_KEY", "")
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"fake", "s3", "--access-key", "only"}, strings.NewReader(""), &stdout, &stderr)
	var ee *exitError
	assert.Assert(t, errors.As(err, &ee), "%v", err)
	assert.Equal(t, ee.code, 2)
}

func TestFakeS3CommandMaxObjectSize(t *testing.T) {
	url, stop := startFakeS3(t, "--max-object-size", "1KiB")
	defer func() { assert.NilError(t, stop()) }()
	c := sdkFor(url, "AKID", "secret")
	ctx := t.Context()
	_, err := c.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("small")})
	assert.NilError(t, err)
	_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("small"), Key: aws.String("fits"), Body: strings.NewReader(strings.Repeat("x", 1024))})
	assert.NilError(t, err)
	_, err = c.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: aws.String("small"), Key: aws.String("big"), Body: strings.NewReader(strings.Repeat("x", 1025))})
	assert.ErrorContains(t, err, "EntityTooLarge")

	var stdout, stderr bytes.Buffer
	err = run(t.Context(), []string{"fake", "s3", "--addr", "127.0.0.1:0", "--max-object-size", "lots"}, strings.NewReader(""), &stdout, &stderr)
	var ee *exitError
	assert.Assert(t, errors.As(err, &ee), "%v", err)
	assert.Equal(t, ee.code, 2)
}

// TestFakeS3CommandFinishesUploadOnShutdown stops the command (as SIGTERM
// does) while a PutObject body is half sent: the upload must complete, be
// acknowledged, and be there after a restart on the same --data-dir.
func TestFakeS3CommandFinishesUploadOnShutdown(t *testing.T) {
	dir := t.TempDir()
	url, stop := startFakeS3(t, "--data-dir", dir)
	ctx := t.Context()
	_, err := sdkFor(url, "AKID", "secret").CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String("inflight")})
	assert.NilError(t, err)

	body := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url+"/inflight/big.bin", pr)
	assert.NilError(t, err)
	req.ContentLength = int64(len(body))
	// With Expect: 100-continue the client sends no body byte before the
	// handler reads the body, so once the first half is written the request
	// is being served (not still waiting in the listen queue).
	req.Header.Set("Expect", "100-continue")
	hc := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	defer hc.CloseIdleConnections()
	respc := make(chan *http.Response, 1)
	errc := make(chan error, 1)
	go func() {
		resp, err := hc.Do(req)
		errc <- err
		respc <- resp
	}()
	_, err = pw.Write(body[:len(body)/2])
	assert.NilError(t, err)

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// Shutdown has begun once the listener refuses new connections.
	host := strings.TrimPrefix(url, "http://")
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the fake still accepts connections 10s after stop")
		}
		time.Sleep(5 * time.Millisecond) // polling the listener; the deadline bounds it
	}
	_, err = pw.Write(body[len(body)/2:])
	if err != nil {
		t.Fatalf("write rest: %v; request: %v", err, <-errc)
	}
	assert.NilError(t, pw.Close())
	assert.NilError(t, <-errc)
	resp := <-respc
	resp.Body.Close()
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	assert.NilError(t, <-stopped)

	url, stop = startFakeS3(t, "--data-dir", dir)
	defer func() { assert.NilError(t, stop()) }()
	got, err := fakeclient.NewS3(url).Object(ctx, "inflight", "big.bin", false)
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(got, body), "stored %d bytes, sent %d", len(got), len(body))
}
