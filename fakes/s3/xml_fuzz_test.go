package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"testing"
)

// partData is the one part every FuzzXMLRequestBodies upload holds; its
// ETag is `"<md5 hex>"`.
const partData = "the only part"

// FuzzXMLRequestBodies sends arbitrary CompleteMultipartUpload and
// DeleteObjects bodies (with a matching Content-MD5, so they reach the XML
// parser) and checks that the fake answers as S3 would: never a 5xx or a
// panic, an S3 XML error with a known code for a refusal, and, when it
// accepts, a document that parses and a store that agrees with it.
func FuzzXMLRequestBodies(f *testing.F) {
	sum := md5.Sum([]byte(partData))
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	for _, seed := range []string{
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + etag + `</ETag></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>` + etag + `</ETag><PartNumber>1</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>"x"</ETag></Part><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part>`,
		`<Delete><Object><Key>obj</Key></Object></Delete>`,
		`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>obj</Key></Object><Object><Key>missing</Key><VersionId>v1</VersionId></Object></Delete>`,
		`<Delete><Object><Key></Key></Object></Delete>`,
		`<Delete><Quiet>maybe</Quiet><Object><Key>obj</Key></Object></Delete>`,
		`<Delete><Object><Key>&#xFFFF;</Key></Object></Delete>`,
		`<!DOCTYPE d [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>`,
		"",
	} {
		f.Add(true, []byte(seed))
		f.Add(false, []byte(seed))
	}
	h := New(NewMemStore()).Handler()
	serve := func(t testing.TB, method, path string, body []byte, header map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return rec
	}
	serve(f, http.MethodPut, "/fuzz", nil, nil)

	f.Fuzz(func(t *testing.T, complete bool, body []byte) {
		header := map[string]string{"Content-Md5": md5b64(body)}
		var rec *httptest.ResponseRecorder
		if complete {
			created := serve(t, http.MethodPost, "/fuzz/mp?uploads", nil, nil)
			var init initiateMultipartUploadResult
			if err := xml.Unmarshal(created.Body.Bytes(), &init); err != nil || created.Code != http.StatusOK {
				t.Fatalf("create upload: %d %s", created.Code, created.Body)
			}
			if p := serve(t, http.MethodPut, "/fuzz/mp?partNumber=1&uploadId="+init.UploadID, []byte(partData), nil); p.Code != http.StatusOK {
				t.Fatalf("upload part: %d %s", p.Code, p.Body)
			}
			rec = serve(t, http.MethodPost, "/fuzz/mp?uploadId="+init.UploadID, body, header)
			defer serve(t, http.MethodDelete, "/fuzz/mp?uploadId="+init.UploadID, nil, nil)
		} else {
			if p := serve(t, http.MethodPut, "/fuzz/obj", []byte("x"), nil); p.Code != http.StatusOK {
				t.Fatalf("put: %d %s", p.Code, p.Body)
			}
			rec = serve(t, http.MethodPost, "/fuzz?delete", body, header)
		}
		out := rec.Body.Bytes()
		if rec.Code != http.StatusOK {
			code := ErrorCode(xmlCode(out))
			if _, known := codes[code]; !known || code.Status() != rec.Code {
				t.Fatalf("refusal %d with code %q: %s", rec.Code, code, out)
			}
			return
		}
		if complete {
			var res completeMultipartUploadResult
			if err := xml.Unmarshal(out, &res); err != nil {
				t.Fatalf("decode %s: %v", out, err)
			}
			got := serve(t, http.MethodGet, "/fuzz/mp", nil, nil)
			if got.Body.String() != partData || got.Header().Get("ETag") != res.ETag {
				t.Fatalf("completed object: %q ETag %s, result ETag %s", got.Body, got.Header().Get("ETag"), res.ETag)
			}
			return
		}
		var res deleteResult
		if err := xml.Unmarshal(out, &res); err != nil {
			t.Fatalf("decode %s: %v", out, err)
		}
		var req deleteRequest
		if err := xml.Unmarshal(body, &req); err != nil {
			t.Fatalf("accepted a body that does not parse: %v", err)
		}
		if len(res.Deleted)+len(res.Errors) != len(req.Objects) && !req.Quiet {
			t.Fatalf("%d keys asked, %d deleted and %d errors", len(req.Objects), len(res.Deleted), len(res.Errors))
		}
	})
}
