package router

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"

	"github.com/devenv-sh/devenv/fluent/record"

	"github.com/devenv-sh/devenv/fluent/config"
)

// TDKeyLimit is out_tdlog's per-record key limit; larger records are
// skipped ("Skipped a broken record").
const TDKeyLimit = 512

// TDDefaultEndpoint is fluent-plugin-td's default API endpoint.
const TDDefaultEndpoint = "api.treasuredata.com"

// TDConfig is out_tdlog v0.10.29's resolved configuration (spec §4.6).
type TDConfig struct {
	// Database and Table are the fixed names when both parameters are
	// present (validated at configure time); otherwise both are "" and
	// names come from the tag (Target).
	Database string
	Table    string
	Fixed    bool
	APIKey   string
	// Endpoint is as configured (default api.treasuredata.com).
	Endpoint        string
	UseSSL          bool
	AutoCreateTable bool
}

func newTDConfig(el *config.Element) (*TDConfig, error) {
	c := &TDConfig{Endpoint: TDDefaultEndpoint, UseSSL: true, AutoCreateTable: true}
	kp := el.Param("apikey")
	if kp == nil {
		return nil, config.Errorf(el.Pos, "tdlog: 'apikey' parameter is required")
	}
	c.APIKey = kp.Value
	if v, ok := el.Get("endpoint"); ok {
		c.Endpoint = v
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"use_ssl", &c.UseSSL}, {"auto_create_table", &c.AutoCreateTable}} {
		if p := el.Param(b.key); p != nil {
			*b.dst = boolValue(p.Value)
		}
	}
	dp, tp := el.Param("database"), el.Param("table")
	if dp != nil && tp != nil {
		if err := ValidateTDName("database", dp.Value); err != nil {
			return nil, config.Errorf(dp.ValuePos, "tdlog: %v", err)
		}
		if err := ValidateTDName("table", tp.Value); err != nil {
			return nil, config.Errorf(tp.ValuePos, "tdlog: %v", err)
		}
		c.Database, c.Table, c.Fixed = dp.Value, tp.Value, true
	}
	return c, nil
}

var tdNameRE = regexp.MustCompile(`^([a-z0-9_]+)$`)

// ValidateTDName checks a database or table name as td-client-ruby does:
// 3 to 255 characters of lower-case letters, digits and '_'. kind is
// "database" or "table".
func ValidateTDName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("empty %s name is not allowed", kind)
	}
	if len(name) < 3 || len(name) > 255 {
		return fmt.Errorf("%s name must be between 3 and 255 characters long. Got %d character name", kind, len(name))
	}
	if !tdNameRE.MatchString(name) {
		return fmt.Errorf("%s name must only consist of lower-case alpha-numeric characters and '_': %q", kind, name)
	}
	return nil
}

// NormalizeTDName is td-client-ruby's normalize_*_name, used only for
// tag-derived names: pad to 3 with '_', cut to 255, lower-case, and
// replace [^a-z0-9_] with '_'.
func NormalizeTDName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty name is not allowed")
	}
	// String#length, name[0, 253] and "_" * n count characters.
	rs := []rune(name)
	if len(rs) < 3 {
		rs = append(rs, []rune(strings.Repeat("_", 3-len(rs)))...)
	}
	if len(rs) > 255 {
		rs = append(rs[:253:253], '_', '_')
	}
	var b strings.Builder
	for _, r := range strings.ToLower(string(rs)) {
		if r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String(), nil
}

// Target returns the database and table an event with tag is imported
// into: the fixed names, or the tag's last two parts normalised.
func (c *TDConfig) Target(tag string) (db, table string, err error) {
	if c.Fixed {
		return c.Database, c.Table, nil
	}
	parts := rubySplit(tag, ".") // tag.split('.')[-2, 2]
	if len(parts) < 2 {
		return "", "", fmt.Errorf("tdlog: tag %q has fewer than two parts: cannot derive database and table", tag)
	}
	if db, err = NormalizeTDName(parts[len(parts)-2]); err != nil {
		return "", "", fmt.Errorf("tdlog: database from tag %q: %w", tag, err)
	}
	if table, err = NormalizeTDName(parts[len(parts)-1]); err != nil {
		return "", "", fmt.Errorf("tdlog: table from tag %q: %w", tag, err)
	}
	return db, table, nil
}

// APIBaseURL is the base URL for API calls (table creation):
// "https://host[:port]" or "http://…"; a bare host uses use_ssl.
func (c *TDConfig) APIBaseURL() string {
	return tdBase(c.Endpoint, c.UseSSL)
}

// ImportBaseURL is where imports go: api-import.treasuredata.com for the
// default endpoint, otherwise the endpoint itself.
func (c *TDConfig) ImportBaseURL() string {
	if c.Endpoint == TDDefaultEndpoint {
		return tdBase("api-import.treasuredata.com", c.UseSSL)
	}
	return tdBase(c.Endpoint, c.UseSSL)
}

func tdBase(endpoint string, ssl bool) string {
	if strings.HasPrefix(endpoint, "http://") || strings.HasPrefix(endpoint, "https://") {
		return strings.TrimRight(endpoint, "/")
	}
	if ssl {
		return "https://" + endpoint
	}
	return "http://" + endpoint
}

// TDImportPath is the import request path:
// /v3/table/import_with_id/<db>/<table>/<unique_id>/msgpack.gz.
func TDImportPath(db, table, uniqueID string) string {
	return "/v3/table/import_with_id/" + url.PathEscape(db) + "/" + url.PathEscape(table) + "/" + url.PathEscape(uniqueID) + "/msgpack.gz"
}

// AppendMsgpack appends v (a Record, or any value a Record holds) in
// msgpack, as out_tdlog writes each record (strings as str, maps in
// Record order).
func AppendMsgpack(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, 0xc0)
	case bool:
		if x {
			return append(dst, 0xc3)
		}
		return append(dst, 0xc2)
	case int:
		return appendMsgpackInt(dst, int64(x))
	case int64:
		return appendMsgpackInt(dst, x)
	case uint64:
		if x <= math.MaxInt64 {
			return appendMsgpackInt(dst, int64(x))
		}
		dst = append(dst, 0xcf)
		return binary.BigEndian.AppendUint64(dst, x)
	case float64:
		dst = append(dst, 0xcb)
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(x))
	case record.BigInt:
		return appendMsgpackStr(dst, string(x)) // RangeError → stringified
	case string:
		return appendMsgpackStr(dst, x)
	case []byte:
		return appendMsgpackStr(dst, string(x))
	case []any:
		dst = appendMsgpackLen(dst, len(x), 0x90, 0xdc, 0xdd)
		for _, e := range x {
			dst = AppendMsgpack(dst, e)
		}
		return dst
	case record.Record:
		dst = appendMsgpackLen(dst, len(x), 0x80, 0xde, 0xdf)
		for _, f := range x {
			dst = appendMsgpackStr(dst, f.Key)
			dst = AppendMsgpack(dst, f.Value)
		}
		return dst
	}
	return appendMsgpackStr(dst, fmt.Sprint(v))
}

func appendMsgpackLen(dst []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n < 16:
		return append(dst, fix|byte(n))
	case n <= math.MaxUint16:
		dst = append(dst, b16)
		return binary.BigEndian.AppendUint16(dst, uint16(n))
	}
	dst = append(dst, b32)
	return binary.BigEndian.AppendUint32(dst, uint32(n))
}

func appendMsgpackStr(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		dst = append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		dst = append(dst, 0xda)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 0xdb)
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	return append(dst, s...)
}

func appendMsgpackInt(dst []byte, n int64) []byte {
	switch {
	case n >= 0 && n < 128:
		return append(dst, byte(n))
	case n < 0 && n >= -32:
		return append(dst, byte(n))
	case n >= 0 && n <= math.MaxUint8:
		return append(dst, 0xcc, byte(n))
	case n >= 0 && n <= math.MaxUint16:
		dst = append(dst, 0xcd)
		return binary.BigEndian.AppendUint16(dst, uint16(n))
	case n >= 0 && n <= math.MaxUint32:
		dst = append(dst, 0xce)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	case n >= 0:
		dst = append(dst, 0xcf)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	case n >= math.MinInt8:
		return append(dst, 0xd0, byte(n))
	case n >= math.MinInt16:
		dst = append(dst, 0xd1)
		return binary.BigEndian.AppendUint16(dst, uint16(n))
	case n >= math.MinInt32:
		dst = append(dst, 0xd2)
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	dst = append(dst, 0xd3)
	return binary.BigEndian.AppendUint64(dst, uint64(n))
}
