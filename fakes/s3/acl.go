package s3

import (
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// The fake's ACLs are canned ACLs: every bucket and object belongs to
// [fakeOwner], who has FULL_CONTROL, and the canned ACL adds the groups' grants.
// They are stored and answered; when the server has credentials, their
// grants to AllUsers decide unsigned requests (authorizeAnonymous), and
// signed callers, all the owner, may do anything.

const (
	allUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	authenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	logDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// grant is one grant of an ACL: a group URI (or "" for the owner) and a
// permission.
type grant struct {
	group, permission string
}

// cannedACLs are the x-amz-acl values S3 accepts, with the grants each makes
// beyond the owner's FULL_CONTROL (the bucket owner of bucket-owner-* is the
// object's owner here: the fake has one owner).
var cannedACLs = map[string][]grant{
	"private":                   nil,
	"public-read":               {{allUsers, "READ"}},
	"public-read-write":         {{allUsers, "READ"}, {allUsers, "WRITE"}},
	"authenticated-read":        {{authenticatedUsers, "READ"}},
	"aws-exec-read":             nil,
	"bucket-owner-read":         nil,
	"bucket-owner-full-control": nil,
	"log-delivery-write":        {{logDelivery, "WRITE"}, {logDelivery, "READ_ACP"}},
}

// cannedACL reads x-amz-acl: "" when absent; InvalidArgument for a value S3
// does not know. The x-amz-grant-* headers, which name grantees the fake
// does not have, are NotImplemented.
func cannedACL(h http.Header) (string, error) {
	for name := range h {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-grant-") {
			return "", errorf(ErrNotImplemented, "The %s header is not implemented by devenv's fake S3: its ACLs are canned ACLs (x-amz-acl).", name)
		}
	}
	v := h.Get("X-Amz-Acl")
	if v == "" {
		return "", nil
	}
	if _, ok := cannedACLs[v]; !ok {
		return "", &Error{Code: ErrInvalidArgument, Message: "Invalid canned ACL",
			Fields: []Field{{"ArgumentName", "x-amz-acl"}, {"ArgumentValue", v}}}
	}
	return v, nil
}

type xmlGrantee struct {
	XMLNSXsi    string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
}

type xmlGrant struct {
	Grantee    xmlGrantee `xml:"Grantee"`
	Permission string     `xml:"Permission"`
}

type accessControlPolicy struct {
	XMLName xml.Name   `xml:"AccessControlPolicy"`
	Xmlns   string     `xml:"xmlns,attr"`
	Owner   owner      `xml:"Owner"`
	Grants  []xmlGrant `xml:"AccessControlList>Grant"`
}

// accessControlPolicyIn is an AccessControlPolicy as a client sends it.
type accessControlPolicyIn struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Grants  []struct {
		Grantee struct {
			ID           string `xml:"ID"`
			URI          string `xml:"URI"`
			EmailAddress string `xml:"EmailAddress"`
		} `xml:"Grantee"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

// policyOf is the AccessControlPolicy of a canned ACL.
func policyOf(acl string) accessControlPolicy {
	const xsi = "http://www.w3.org/2001/XMLSchema-instance"
	p := accessControlPolicy{Xmlns: s3Namespace, Owner: fakeOwner, Grants: []xmlGrant{{
		Grantee:    xmlGrantee{XMLNSXsi: xsi, Type: "CanonicalUser", ID: fakeOwner.ID, DisplayName: fakeOwner.DisplayName},
		Permission: "FULL_CONTROL",
	}}}
	for _, g := range cannedACLs[acl] {
		p.Grants = append(p.Grants, xmlGrant{Grantee: xmlGrantee{XMLNSXsi: xsi, Type: "Group", URI: g.group}, Permission: g.permission})
	}
	return p
}

// readACL reads the ACL a PutBucketAcl or PutObjectAcl sets: x-amz-acl, or
// an AccessControlPolicy body, which must say what a canned ACL says
// (NotImplemented otherwise).
func (s *Server) readACL(c echo.Context, st *request) (string, error) {
	acl, err := cannedACL(c.Request().Header)
	if err != nil {
		return "", err
	}
	var in accessControlPolicyIn
	if err := s.readXML(c, st, &in, acl == ""); err != nil {
		return "", err
	}
	if acl != "" {
		return acl, nil
	}
	var got []grant
	for _, g := range in.Grants {
		switch {
		case g.Grantee.URI != "":
			got = append(got, grant{g.Grantee.URI, g.Permission})
		case g.Grantee.ID == fakeOwner.ID && g.Permission == "FULL_CONTROL":
		default:
			return "", errorf(ErrNotImplemented, "devenv's fake S3 has one owner (ID %s) and canned ACLs only: grant FULL_CONTROL to the owner and, as a canned ACL does, READ or WRITE to a group.", fakeOwner.ID)
		}
	}
	cmp := func(a, b grant) int { return strings.Compare(a.group+" "+a.permission, b.group+" "+b.permission) }
	slices.SortFunc(got, cmp)
	for _, name := range []string{"private", "public-read", "public-read-write", "authenticated-read", "log-delivery-write"} {
		want := slices.SortedFunc(slices.Values(cannedACLs[name]), cmp)
		if slices.Equal(got, want) {
			return name, nil
		}
	}
	return "", errorf(ErrNotImplemented, "devenv's fake S3 has canned ACLs only, and no canned ACL grants these.")
}

func (s *Server) getBucketACL(c echo.Context, st *request) error {
	b, err := s.store.HeadBucket(c.Request().Context(), st.bucket)
	if err != nil {
		return noSuchBucket(err, st.bucket)
	}
	return writeXML(c, http.StatusOK, policyOf(b.ACL))
}

func (s *Server) putBucketACL(c echo.Context, st *request) error {
	if _, err := s.store.HeadBucket(c.Request().Context(), st.bucket); err != nil {
		return noSuchBucket(err, st.bucket)
	}
	acl, err := s.readACL(c, st)
	if err != nil {
		return err
	}
	if err := s.store.SetBucketACL(c.Request().Context(), st.bucket, acl); err != nil {
		return noSuchBucket(err, st.bucket)
	}
	return c.NoContent(http.StatusOK)
}

func (s *Server) getObjectACL(c echo.Context, st *request) error {
	info, err := s.store.HeadObject(c.Request().Context(), st.bucket, st.key)
	if err != nil {
		return objectErr(err, st)
	}
	return writeXML(c, http.StatusOK, policyOf(info.ACL))
}

// putObjectACL replaces the object's canned ACL, its bytes and other
// metadata (Last-Modified too) unchanged; a write that replaced it
// meanwhile wins.
func (s *Server) putObjectACL(c echo.Context, st *request) error {
	ctx := c.Request().Context()
	info, err := s.store.HeadObject(ctx, st.bucket, st.key)
	if err != nil {
		return objectErr(err, st)
	}
	acl, err := s.readACL(c, st)
	if err != nil {
		return err
	}
	if err := s.store.SetObjectACL(ctx, st.bucket, st.key, info.ETag, acl); err != nil && !errors.Is(err, ErrPreconditionFailed) {
		return objectErr(err, st)
	}
	return c.NoContent(http.StatusOK)
}
