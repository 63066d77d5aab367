package s3

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzPutACL sends arbitrary PutObjectAcl bodies and x-amz-acl values and
// checks that the fake never answers 5xx (but NotImplemented) or panics, refuses with an S3 error
// of a known code, and, when it accepts, answers GetObjectAcl with a policy
// that parses and starts with the owner's FULL_CONTROL.
func FuzzPutACL(f *testing.F) {
	for _, seed := range []struct{ acl, body string }{
		{"public-read", ""},
		{"", `<AccessControlPolicy><Owner><ID>` + fakeOwner.ID + `</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>` + allUsers + `</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`},
		{"", `<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>other</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`},
		{"", `<AccessControlPolicy/>`},
		{"", `<Other/>`},
		{"", ""},
		{"world", ""},
	} {
		f.Add(seed.acl, []byte(seed.body))
	}
	h := New(NewMemStore()).Handler()
	serve := func(t testing.TB, method, path string, body []byte, header map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		// 501 NotImplemented is the answer to grants a canned ACL cannot
		// say; any other 5xx is a fault of the fake.
		if rec.Code >= 500 && (rec.Code != http.StatusNotImplemented || xmlCode(rec.Body.Bytes()) != string(ErrNotImplemented)) {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return rec
	}
	serve(f, http.MethodPut, "/fuzz", nil, nil)
	serve(f, http.MethodPut, "/fuzz/obj", []byte("x"), nil)

	f.Fuzz(func(t *testing.T, acl string, body []byte) {
		header := map[string]string{}
		if acl != "" {
			header["X-Amz-Acl"] = acl
		}
		rec := serve(t, http.MethodPut, "/fuzz/obj?acl", body, header)
		if rec.Code != http.StatusOK {
			code := ErrorCode(xmlCode(rec.Body.Bytes()))
			if _, known := codes[code]; !known {
				t.Fatalf("refused with unknown code %q: %s", code, rec.Body)
			}
			return
		}
		got := serve(t, http.MethodGet, "/fuzz/obj?acl", nil, nil)
		var p accessControlPolicy
		if err := xml.Unmarshal(got.Body.Bytes(), &p); err != nil || len(p.Grants) == 0 {
			t.Fatalf("GetObjectAcl: %v: %s", err, got.Body)
		}
		if p.Grants[0].Permission != "FULL_CONTROL" || p.Grants[0].Grantee.ID != fakeOwner.ID {
			t.Fatalf("the owner's grant is not first: %s", got.Body)
		}
	})
}

// FuzzCopyRange checks that any x-amz-copy-source-range either is refused
// (InvalidArgument or InvalidRange) or selects bytes inside the object.
func FuzzCopyRange(f *testing.F) {
	for _, seed := range []string{"bytes=0-4", "bytes=1-1", "bytes=0-21", "bytes=-1", "bytes=3-1", "0-2", "bytes=0-2,3-5", "bytes=9223372036854775807-9223372036854775807", ""} {
		f.Add(seed, int64(5))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		if size < 0 {
			size = -size
		}
		start, length, err := copyRange(v, size)
		if err != nil {
			e, _ := asS3Error(err)
			if e.Code != ErrInvalidArgument && e.Code != ErrInvalidRange {
				t.Fatalf("%q: code %s", v, e.Code)
			}
			return
		}
		if start < 0 || length < 1 || start+length > size {
			t.Fatalf("%q of %d bytes: start %d length %d", v, size, start, length)
		}
	})
}
