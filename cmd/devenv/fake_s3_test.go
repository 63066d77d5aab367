package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fakes/s3"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutine and the
// test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingRE = regexp.MustCompile(`serving (http://\S+)`)

// startFakeS3 runs `devenv fake s3 args...` until the returned stop is
// called, and returns its base URL.
func startFakeS3(t *testing.T, args ...string) (baseURL string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"fake", "s3", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), &stdout, &stderr)
	}()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return errors.New("fake s3 did not stop within 15s")
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := servingRE.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stop
		}
		select {
		case err := <-done:
			t.Fatalf("fake s3 exited before serving: %v\nstderr: %s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = stop()
			t.Fatalf("fake s3 did not print its address within 10s; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the output; the deadline bounds it
	}
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
	got, err := s3.NewClient(url).Object(ctx, "kept", "a/b.txt", false)
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
