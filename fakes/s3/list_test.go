package s3

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/devenv-sh/devenv/fakeclient"
)

func putRaw(t *testing.T, f *fake, path string, body []byte, header map[string]string) {
	t.Helper()
	resp, b := f.send(t, rawReq{method: http.MethodPut, path: path, body: body, header: header})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(b))
}

// elements returns the text of every <name> element in an XML body.
func elements(body []byte, name string) []string {
	var out []string
	s := string(body)
	for {
		_, rest, ok := strings.Cut(s, "<"+name+">")
		if !ok {
			return out
		}
		v, after, _ := strings.Cut(rest, "</"+name+">")
		out = append(out, v)
		s = after
	}
}

// The cases of ceph/s3-tests test_bucket_list{,v2}_encoding_basic,
// _delimiter_basic, _maxkeys_zero and _both_continuationtoken_startafter.
func TestListObjectsLikeS3Tests(t *testing.T) {
	f := newFake(t, false)
	putRaw(t, f, "/enc", nil, nil)
	for _, k := range []string{"foo+1/bar", "foo/bar/xyzzy", "quux ab/thud", "asdf+b"} {
		putRaw(t, f, "/enc/"+strings.ReplaceAll(strings.ReplaceAll(k, "+", "%2B"), " ", "%20"), []byte(k), nil)
	}
	for _, listType := range []string{"", "&list-type=2"} {
		resp, body := f.send(t, rawReq{method: http.MethodGet, path: "/enc?delimiter=%2F&encoding-type=url" + listType})
		assert.Equal(t, resp.StatusCode, 200)
		assert.DeepEqual(t, elements(body, "Key"), []string{"asdf%2Bb"})
		assert.DeepEqual(t, elements(body, "Prefix")[1:], []string{"foo%2B1/", "foo/", "quux%20ab/"})
		assert.DeepEqual(t, elements(body, "EncodingType"), []string{"url"})
	}

	resp, body := f.send(t, rawReq{method: http.MethodGet, path: "/enc?max-keys=0"})
	assert.Equal(t, resp.StatusCode, 200)
	assert.DeepEqual(t, elements(body, "IsTruncated"), []string{"false"})
	assert.Assert(t, is.Len(elements(body, "Key"), 0))

	// continuation-token wins over start-after, and both are echoed.
	resp, body = f.send(t, rawReq{method: http.MethodGet, path: "/enc?list-type=2&max-keys=1"})
	assert.Equal(t, resp.StatusCode, 200)
	tok := elements(body, "NextContinuationToken")[0]
	resp, body = f.send(t, rawReq{method: http.MethodGet, path: "/enc?list-type=2&start-after=quux&continuation-token=" + tok})
	assert.Equal(t, resp.StatusCode, 200)
	assert.DeepEqual(t, elements(body, "ContinuationToken"), []string{tok})
	assert.DeepEqual(t, elements(body, "StartAfter"), []string{"quux"})
	assert.DeepEqual(t, elements(body, "Key"), []string{"foo+1/bar", "foo/bar/xyzzy", "quux ab/thud"})
	assert.Assert(t, is.Len(elements(body, "Owner"), 0), "v2 lists owners only with fetch-owner")
	resp, body = f.send(t, rawReq{method: http.MethodGet, path: "/enc?list-type=2&fetch-owner=true"})
	assert.Equal(t, resp.StatusCode, 200)
	assert.Equal(t, len(elements(body, "Owner")), 4)

	// v1 with a delimiter returns NextMarker, and resuming at it does not
	// repeat the prefix.
	resp, body = f.send(t, rawReq{method: http.MethodGet, path: "/enc?delimiter=%2F&max-keys=2"})
	assert.Equal(t, resp.StatusCode, 200)
	assert.DeepEqual(t, elements(body, "NextMarker"), []string{"foo+1/"})
	resp, body = f.send(t, rawReq{method: http.MethodGet, path: "/enc?delimiter=%2F&max-keys=2&marker=foo%2B1%2F"})
	assert.Equal(t, resp.StatusCode, 200)
	assert.DeepEqual(t, elements(body, "Prefix")[1:], []string{"foo/", "quux ab/"})
	assert.DeepEqual(t, elements(body, "IsTruncated"), []string{"false"})
}

func TestGetObjectHeadersAndConditions(t *testing.T) {
	f := newFake(t, true)
	c := f.sdk(t)
	ctx := t.Context()
	mustCreateBucket(t, c, "cond")
	// A body with no checksum gets S3's default CRC64NVME, which the SDK
	// validates on download.
	putRaw(t, f, "/cond/plain", []byte("plain body"), map[string]string{"Cache-Control": "max-age=60", "Content-Disposition": "attachment", "X-Amz-Meta-Team": "api"})
	out, err := c.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String("cond"), Key: aws.String("plain")})
	assert.NilError(t, err)
	out.Body.Close()
	assert.Equal(t, aws.ToString(out.ChecksumCRC64NVME), checksumAlgs[2].sum([]byte("plain body")))
	assert.Equal(t, aws.ToString(out.CacheControl), "max-age=60")
	assert.Equal(t, aws.ToString(out.ContentDisposition), "attachment")
	assert.Equal(t, out.Metadata["team"], "api")

	resp, _ := f.send(t, rawReq{method: http.MethodGet, path: "/cond/plain", header: map[string]string{"If-None-Match": aws.ToString(out.ETag)}})
	assert.Equal(t, resp.StatusCode, http.StatusNotModified)
	resp, _ = f.send(t, rawReq{method: http.MethodGet, path: "/cond/plain", header: map[string]string{"If-Match": aws.ToString(out.ETag)}})
	assert.Equal(t, resp.StatusCode, http.StatusOK)
	resp, _ = f.send(t, rawReq{method: http.MethodGet, path: "/cond/plain?response-content-type=text%2Fplain"})
	assert.Equal(t, resp.Header.Get("Content-Type"), "text/plain")
	resp, _ = f.send(t, rawReq{method: http.MethodGet, path: "/cond/plain", header: map[string]string{"Range": "bytes=0-1", "X-Amz-Checksum-Mode": "ENABLED"}})
	assert.Equal(t, resp.StatusCode, http.StatusPartialContent)
	assert.Equal(t, resp.Header.Get("X-Amz-Checksum-Crc64nvme"), "", "no whole-object checksum on a range")

	resp, body := f.send(t, rawReq{method: http.MethodPut, path: "/cond/plain", body: []byte("x"), header: map[string]string{"If-None-Match": "*"}})
	assert.Equal(t, resp.StatusCode, http.StatusPreconditionFailed)
	assert.Equal(t, xmlCode(body), "PreconditionFailed")
}

func TestListMultipartUploads(t *testing.T) {
	f := newFake(t, false)
	putRaw(t, f, "/uploads", nil, nil)
	a := initiate(t, f, "uploads", "logs/a")
	initiate(t, f, "uploads", "other/b")
	resp, body := f.send(t, rawReq{method: http.MethodGet, path: "/uploads?uploads&prefix=logs%2F"})
	assert.Equal(t, resp.StatusCode, 200, string(body))
	assert.DeepEqual(t, elements(body, "UploadId"), []string{a})
	assert.DeepEqual(t, elements(body, "Key"), []string{"logs/a"})
}

func TestInspectionAPI(t *testing.T) {
	f := newFake(t, false)
	ctx := t.Context()
	putRaw(t, f, "/inspect", nil, nil)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("line 1\nline 2\n"))
	zw.Close()
	putRaw(t, f, "/inspect/logs/a.gz", gz.Bytes(), map[string]string{"Content-Type": "application/x-gzip"})
	putRaw(t, f, "/inspect/logs/broken.gz", []byte{0x1f, 0x8b, 0, 1, 2}, nil)
	putRaw(t, f, "/inspect/raw.bin", gz.Bytes(), nil)

	got, err := f.client.Object(ctx, "inspect", "logs/a.gz", true)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "line 1\nline 2\n")
	got, err = f.client.Object(ctx, "inspect", "logs/a.gz", false)
	assert.NilError(t, err)
	assert.Assert(t, bytes.Equal(got, gz.Bytes()))
	got, err = f.client.Object(ctx, "inspect", "raw.bin", true)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "line 1\nline 2\n", "decompress=true gunzips gzip content whatever the key")
	_, err = f.client.Object(ctx, "inspect", "logs/broken.gz", true)
	assert.ErrorContains(t, err, "422")
	_, err = f.client.Object(ctx, "inspect", "logs/missing.gz", true)
	assert.ErrorContains(t, err, "404")

	// Without the decompress parameter, .gz keys are gunzipped.
	resp, body := f.send(t, rawReq{method: http.MethodGet, path: "/_devenv/object?bucket=inspect&key=logs/a.gz"})
	assert.Equal(t, resp.StatusCode, 200)
	assert.Equal(t, string(body), "line 1\nline 2\n")

	objs, err := f.client.Objects(ctx, "", "logs/")
	assert.NilError(t, err)
	assert.Equal(t, len(objs), 2)
	assert.Equal(t, objs[0].Bucket, "inspect")
	assert.Equal(t, objs[0].Key, "logs/a.gz")
	assert.Equal(t, objs[0].ContentType, "application/x-gzip")
	assert.Equal(t, objs[0].Size, int64(gz.Len()))

	buckets, err := f.client.Buckets(ctx)
	assert.NilError(t, err)
	assert.Equal(t, buckets[0].Name, "inspect")
	counts, err := f.client.Counts(ctx)
	assert.NilError(t, err)
	assert.DeepEqual(t, counts, map[string]int{"CreateBucket": 1, "PutObject": 3})
	assert.NilError(t, f.client.Health(ctx))

	assert.NilError(t, f.client.Reset(ctx))
	objs, err = f.client.Objects(ctx, "", "")
	assert.NilError(t, err)
	assert.Assert(t, is.Len(objs, 0))
	reqs, err := f.client.Requests(ctx, fakeclient.S3RequestFilter{})
	assert.NilError(t, err)
	assert.Assert(t, is.Len(reqs, 0))
}

func TestRequestLogKeepsTheLatest(t *testing.T) {
	f := newFake(t, false, WithRequestLogSize(3))
	putRaw(t, f, "/ring", nil, nil)
	for i := range 5 {
		putRaw(t, f, "/ring/k"+string(rune('0'+i)), []byte("x"), nil)
	}
	reqs, err := f.client.Requests(t.Context(), fakeclient.S3RequestFilter{})
	assert.NilError(t, err)
	var keys []string
	for _, r := range reqs {
		keys = append(keys, r.Key)
	}
	assert.DeepEqual(t, keys, []string{"k2", "k3", "k4"})
	counts, err := f.client.Counts(t.Context())
	assert.NilError(t, err)
	assert.Equal(t, counts["PutObject"], 5, "counts cover every request, not only the remembered ones")
}

func TestWaitObjects(t *testing.T) {
	f := newFake(t, false)
	ctx := t.Context()
	type result struct {
		objs []fakeclient.S3Object
		err  error
	}
	done := make(chan result, 1)
	go func() {
		objs, err := f.client.WaitObjects(ctx, "later", "logs/", 2, 10*time.Second)
		done <- result{objs, err}
	}()
	// The bucket does not exist yet: waiting starts from empty.
	putRaw(t, f, "/later", nil, nil)
	putRaw(t, f, "/later/logs/1.gz", []byte("1"), nil)
	putRaw(t, f, "/later/other/x", []byte("x"), nil)
	putRaw(t, f, "/later/logs/2.gz", []byte("2"), nil)
	r := <-done
	assert.NilError(t, r.err)
	assert.Equal(t, len(r.objs), 2)
	assert.Equal(t, r.objs[1].Key, "logs/2.gz")

	_, err := f.client.WaitObjects(ctx, "later", "logs/", 3, 20*time.Millisecond)
	assert.ErrorContains(t, err, "408")
	assert.ErrorContains(t, err, "there are 2")

	// Close releases waiters at once.
	go func() {
		_, err := f.client.WaitObjects(ctx, "later", "logs/", 3, time.Minute)
		done <- result{err: err}
	}()
	f.srv.Close()
	r = <-done
	assert.ErrorContains(t, r.err, "503")
}

// TestInspectObjectStreams checks that /_devenv/object streams an object,
// gunzipped or not, instead of holding it (or what it inflates to) in
// memory: a small gzip object can inflate to gigabytes.
func TestInspectObjectStreams(t *testing.T) {
	f := newFake(t, false)
	putRaw(t, f, "/inspect", nil, nil)
	// 64 gzip members of 1 MiB of zeros each: 64 MiB once inflated.
	var member bytes.Buffer
	zw := gzip.NewWriter(&member)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	bomb := bytes.Repeat(member.Bytes(), 64)
	putRaw(t, f, "/inspect/bomb.gz", bomb, nil)

	for _, decompress := range []string{"true", "false"} {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
			f.ts.URL+"/_devenv/object?bucket=inspect&key=bomb.gz&decompress="+decompress, nil)
		assert.NilError(t, err)
		resp, err := f.ts.Client().Do(req)
		assert.NilError(t, err)
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.NilError(t, err)
		runtime.ReadMemStats(&after)
		assert.Equal(t, resp.StatusCode, http.StatusOK)
		want := int64(len(bomb))
		if decompress == "true" {
			want = 64 << 20
		}
		assert.Equal(t, n, want)
		allocated := after.TotalAlloc - before.TotalAlloc
		assert.Assert(t, allocated < 16<<20, "decompress=%s: serving allocated %d MiB", decompress, allocated>>20)
	}
}

// TestConditionalPutRace sends two PutObject with If-None-Match: * for the
// same absent key, both past the fake's first check and sending their
// bodies at once: as in S3, only one may create the object, the other gets
// 412.
// Of two conditional writers of one key, If-None-Match: * on a missing
// key or If-Match on its current ETag, only one succeeds.
func TestConditionalPutRace(t *testing.T) {
	for _, name := range []string{"mem/If-None-Match", "disk/If-None-Match", "mem/If-Match", "disk/If-Match"} {
		t.Run(name, func(t *testing.T) {
			var store Store = NewMemStore()
			if strings.HasPrefix(name, "disk/") {
				ds, err := OpenDiskStore(t.TempDir())
				assert.NilError(t, err)
				store = ds
			}
			ts := httptest.NewServer(New(store).Handler())
			t.Cleanup(ts.Close)
			// With Expect: 100-continue no body byte leaves the client before
			// the handler reads the body, so once a first byte is written the
			// request is past the If-None-Match check and inside the store.
			hc := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
			t.Cleanup(hc.CloseIdleConnections)
			put := func(path string, body io.Reader, size int64, header map[string]string) (int, error) {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, ts.URL+path, body)
				if err != nil {
					return 0, err
				}
				req.ContentLength = size
				for k, v := range header {
					req.Header.Set(k, v)
				}
				resp, err := hc.Do(req)
				if err != nil {
					return 0, err
				}
				resp.Body.Close()
				return resp.StatusCode, nil
			}
			status, err := put("/race", nil, 0, nil)
			assert.NilError(t, err)
			assert.Equal(t, status, http.StatusOK)
			cond := map[string]string{"Expect": "100-continue", "If-None-Match": "*"}
			if strings.HasSuffix(name, "/If-Match") {
				status, err := put("/race/key", strings.NewReader("0"), 1, nil)
				assert.NilError(t, err)
				assert.Equal(t, status, http.StatusOK)
				sum := md5.Sum([]byte("0"))
				cond = map[string]string{"Expect": "100-continue", "If-Match": `"` + hex.EncodeToString(sum[:]) + `"`}
			}

			statuses := make(chan int, 2)
			var writers []*io.PipeWriter
			for range 2 {
				pr, pw := io.Pipe()
				writers = append(writers, pw)
				go func() {
					status, err := put("/race/key", pr, 2, cond)
					if err != nil {
						t.Error(err)
					}
					statuses <- status
				}()
				_, err := pw.Write([]byte("x"))
				assert.NilError(t, err)
			}
			for _, pw := range writers {
				_, err := pw.Write([]byte("y"))
				assert.NilError(t, err)
				assert.NilError(t, pw.Close())
			}
			got := map[int]int{}
			for range 2 {
				got[<-statuses]++
			}
			assert.DeepEqual(t, got, map[int]int{http.StatusOK: 1, http.StatusPreconditionFailed: 1})
		})
	}
}

// TestListPagesConcatenate checks, for v1 and v2 and several prefixes,
// delimiters and page sizes, that following NextMarker or
// NextContinuationToken yields every key and common prefix exactly once, in
// order, as one unpaginated listing computed here does.
func TestListPagesConcatenate(t *testing.T) {
	h := New(NewMemStore()).Handler()
	serve := func(path string) []byte {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		assert.Equal(t, rec.Code, http.StatusOK, "%s: %s", path, rec.Body)
		return rec.Body.Bytes()
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/pages", nil))
	assert.Equal(t, rec.Code, http.StatusOK)
	var keys []string
	for _, k := range []string{"a", "a/", "a/1", "a/2/x", "a/2/y", "a/3", "a//b", "ab", "b/1", "b/2", "b-", "c/d/e", "d", "é/1", "é/2"} {
		keys = append(keys, k)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/pages/"+uriEncode(k, false), strings.NewReader(k)))
		assert.Equal(t, rec.Code, http.StatusOK)
	}
	slices.Sort(keys)
	for _, prefix := range []string{"", "a", "a/", "b", "é"} {
		for _, delim := range []string{"", "/", "2"} {
			var want []string // keys as "K:key", common prefixes as "P:prefix"
			for _, k := range keys {
				if !strings.HasPrefix(k, prefix) {
					continue
				}
				if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
					cp := "P:" + k[:len(prefix)+i+len(delim)]
					if len(want) == 0 || want[len(want)-1] != cp {
						want = append(want, cp)
					}
					continue
				}
				want = append(want, "K:"+k)
			}
			for _, v2 := range []bool{false, true} {
				for _, maxKeys := range []int{1, 2, 3, 1000} {
					name := fmt.Sprintf("prefix=%q delimiter=%q v2=%v max-keys=%d", prefix, delim, v2, maxKeys)
					var got []string
					marker := ""
					for page := 0; ; page++ {
						assert.Assert(t, page <= len(keys), "%s: does not end", name)
						q := url.Values{"prefix": {prefix}, "delimiter": {delim}, "max-keys": {strconv.Itoa(maxKeys)}}
						if v2 {
							q.Set("list-type", "2")
							if marker != "" {
								q.Set("continuation-token", marker)
							}
						} else {
							q.Set("marker", marker)
						}
						var res listBucketResult
						assert.NilError(t, xml.Unmarshal(serve("/pages?"+q.Encode()), &res))
						// Keys and prefixes interleave in key order.
						var entries []string
						for _, o := range res.Contents {
							entries = append(entries, "K:"+o.Key)
						}
						for _, p := range res.CommonPrefixes {
							entries = append(entries, "P:"+p.Prefix)
						}
						slices.SortFunc(entries, func(a, b string) int { return strings.Compare(a[2:], b[2:]) })
						assert.Assert(t, len(entries) <= maxKeys, name)
						got = append(got, entries...)
						if !res.IsTruncated {
							break
						}
						switch {
						case v2:
							marker = res.NextContinuationToken
						case res.NextMarker != "":
							marker = res.NextMarker
						default:
							marker = entries[len(entries)-1][2:]
						}
					}
					assert.DeepEqual(t, got, want)
				}
			}
		}
	}
}

// A store may hold a key that is not UTF-8 (written through the Store API,
// not the server): listing past it with a delimiter must still end.
func TestListDelimiterPastNonUTF8Key(t *testing.T) {
	store := NewMemStore()
	ctx := t.Context()
	assert.NilError(t, store.CreateBucket(ctx, BucketInfo{Name: "odd"}))
	for _, k := range []string{"a/1", "a/\xff\x01", "a/\xff\xff", "b"} {
		_, err := store.PutObject(ctx, "odd", ObjectInfo{Key: k}, storedBody(strings.NewReader("x"), 1, defaultChecksum))
		assert.NilError(t, err)
	}
	h := New(store).Handler()
	for _, q := range []string{"delimiter=%2F", "delimiter=%2F&max-keys=1&marker=a%2F"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/odd?"+q, nil))
		assert.Equal(t, rec.Code, http.StatusOK)
		var res listBucketResult
		assert.NilError(t, xml.Unmarshal(rec.Body.Bytes(), &res))
		assert.Equal(t, res.Contents[len(res.Contents)-1].Key, "b", q)
	}
}

// ceph/s3-tests test_bucket_listv2_continuationtoken_empty: an empty token
// starts the listing and is echoed.
func TestSDKListObjectsV2EmptyContinuationToken(t *testing.T) {
	f := newFake(t, false)
	c := f.sdk(t)
	mustCreateBucket(t, c, "tok")
	for _, k := range []string{"a", "b"} {
		_, err := c.PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: aws.String("tok"), Key: aws.String(k), Body: strings.NewReader(k)})
		assert.NilError(t, err)
	}
	out, err := c.ListObjectsV2(t.Context(), &s3sdk.ListObjectsV2Input{Bucket: aws.String("tok"), ContinuationToken: aws.String("")})
	assert.NilError(t, err)
	assert.Assert(t, out.ContinuationToken != nil, "the empty token is echoed")
	assert.Equal(t, *out.ContinuationToken, "")
	assert.Assert(t, !aws.ToBool(out.IsTruncated))
	assert.Equal(t, len(out.Contents), 2)
	out, err = c.ListObjectsV2(t.Context(), &s3sdk.ListObjectsV2Input{Bucket: aws.String("tok"), ContinuationToken: aws.String(""), StartAfter: aws.String("a")})
	assert.NilError(t, err)
	assert.Equal(t, len(out.Contents), 1)
	assert.Equal(t, aws.ToString(out.Contents[0].Key), "b")
	out, err = c.ListObjectsV2(t.Context(), &s3sdk.ListObjectsV2Input{Bucket: aws.String("tok")})
	assert.NilError(t, err)
	assert.Assert(t, out.ContinuationToken == nil, "no token, none echoed")
}

// ListObjects (v1) echoes its prefix as sent even with encoding-type=url,
// which botocore always sends (and undoes on Delimiter, Marker, NextMarker
// and the keys only); ListObjectsV2 encodes it.
func TestListObjectsEchoesPrefix(t *testing.T) {
	f := newFake(t, false)
	putRaw(t, f, "/echo", nil, nil)
	putRaw(t, f, "/echo/a%2Bb%20c/d", []byte("x"), nil)
	putRaw(t, f, "/echo/a%2Bb%20c/e%20f", []byte("x"), nil)
	q := "prefix=a%2Bb%20c%2F&marker=a%2Bb%20c%2Fd&delimiter=%20&max-keys=1"
	resp, body := f.send(t, rawReq{method: http.MethodGet, path: "/echo?encoding-type=url&" + q})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.DeepEqual(t, elements(body, "Prefix"), []string{"a+b c/", "a%2Bb%20c/e%20"})
	assert.DeepEqual(t, elements(body, "Marker"), []string{"a%2Bb%20c/d"})
	assert.DeepEqual(t, elements(body, "Delimiter"), []string{"%20"})

	resp, body = f.send(t, rawReq{method: http.MethodGet, path: "/echo?" + q})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.DeepEqual(t, elements(body, "Prefix"), []string{"a+b c/", "a+b c/e "})
	assert.DeepEqual(t, elements(body, "Marker"), []string{"a+b c/d"})
	assert.DeepEqual(t, elements(body, "Delimiter"), []string{" "})

	resp, body = f.send(t, rawReq{method: http.MethodGet, path: "/echo?list-type=2&encoding-type=url&prefix=a%2Bb%20c%2F"})
	assert.Equal(t, resp.StatusCode, http.StatusOK, string(body))
	assert.DeepEqual(t, elements(body, "Prefix"), []string{"a%2Bb%20c/"})
}
