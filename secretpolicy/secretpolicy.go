// Package secretpolicy decides what in a production task definition is a
// secret, what replaces it locally, and what is exempt, so that no
// production secret reaches a byte devenv generates (the Compose file, the
// plan report, log output).
//
// What looks secret:
//   - a name (an environment variable, a label, a log or volume driver
//     option) with a secret word among its parts: Name;
//   - a value shaped like a credential whatever its name: an AWS access key
//     id, a JWT, a PEM private key, a Slack or GitHub token: Value;
//   - a secret embedded in free text (Redact): the password of a URL
//     (postgres://user:pw@host/db), the value of a flag or key=value pair
//     whose key names a secret (--password X, --token=X, -Dpassword=X,
//     Password=X; in a connection string, "password": "X" in JSON), the
//     credentials of an Authorization header (Authorization: Bearer X), and
//     credential-shaped values.
//
// What replaces it: a fake that says it is one, "devenv-fake-" followed by
// the key it was found under (Fake), or Redacted when there is no key.
//
// What is exempt: an empty value, a shell variable reference ($NAME,
// ${NAME}: the container's own environment, where the stand-in is), a
// devenv fake (so redaction is idempotent), and, under a secret-looking
// name, a URL carrying no credentials (AUTH_URL=https://auth.example.com):
// Exempt and PlainURL.
//
// The package has no knowledge of task definitions or Compose: callers
// decide which fields are free text, argument lists or maps, and report
// each replacement at its path without showing the value.
package secretpolicy

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Redacted replaces a credential-shaped value found under no key.
const Redacted = "devenv-fake-redacted"

// fakePrefix starts every value this package makes up.
const fakePrefix = "devenv-fake-"

// Fake is the clearly fake stand-in for the secret named name:
// "devenv-fake-" and the name in lower case, '_' and '.' as '-'
// (DB_PASSWORD → devenv-fake-db-password).
func Fake(name string) string {
	n := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(strings.Trim(name, "-_. ")))
	if n == "" {
		return Redacted
	}
	return fakePrefix + n
}

// What says what kind of secret Redact found, for the caller's report.
type What string

// The kinds of secret found in free text.
const (
	Credential  What = "a credential-shaped token (AWS key id, JWT, private key, Slack or GitHub token)"
	URLPassword What = "a password in a URL"
	Flag        What = "the value of a flag naming a secret (a password, token or API key)"
	Pair        What = "the value of a secret key=value pair (such as a connection string's password or a -D Java property)"
	Header      What = "the credentials of an Authorization header"
	UserPass    What = "the password of a user:password argument (curl -u)"
	Keyed       What = "the value of a secret-looking key"
)

// Why renders what was found as one phrase: "a password in a URL and a
// credential-shaped token (...)".
func Why(found []What) string {
	s := make([]string, len(found))
	for i, w := range found {
		s[i] = string(w)
	}
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// secretWords are name parts that make a name secret-looking.
var secretWords = []string{"SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASS", "PWD", "CREDENTIAL", "CREDENTIALS", "APIKEY", "PRIVATE", "AUTH", "SIGNATURE", "SALT", "DSN"}

// keyQualifiers make a KEY that is not the name's last part secret-looking
// (ACCESS_KEY_ID, PRIVATE_KEY_PEM); S3_KEY_PREFIX is not.
var keyQualifiers = []string{"API", "ACCESS", "SECRET", "PRIVATE", "SIGNING", "ENCRYPTION", "MASTER", "LICENSE", "CLIENT"}

// secretInside are secret words found inside a single name part
// (SECRETKEY, apiKey, clientSecret).
var secretInside = []string{"SECRET", "PASSWORD", "TOKEN", "APIKEY", "ACCESSKEY", "PRIVATEKEY"}

func parts(name string) []string {
	return strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == ' ' })
}

// Name reports whether a name (environment variable, label, option) looks
// like it holds a secret: a part (split on _, -, . and space) such as
// SECRET, TOKEN or PASSWORD; KEY as the last part (API_KEY, SSH_KEY) or
// after API, ACCESS, SECRET, PRIVATE, ... (ACCESS_KEY_ID); or one of
// SECRET, PASSWORD, TOKEN, APIKEY, ACCESSKEY, PRIVATEKEY inside the name
// (SECRETKEY, apiKey).
func Name(name string) bool {
	ps := parts(name)
	for i, part := range ps {
		if slices.Contains(secretWords, part) {
			return true
		}
		if part == "KEY" && (i == len(ps)-1 || (i > 0 && slices.Contains(keyQualifiers, ps[i-1]))) {
			return true
		}
	}
	up := strings.ToUpper(name)
	for _, w := range secretInside {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// keyNouns are the last parts of a key inside free text (a flag, a
// key=value pair, a header) that name a secret.
var keyNouns = []string{"PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "TOKEN", "APIKEY", "CREDENTIAL", "CREDENTIALS", "BEARER"}

// keySuffixes end a one-part key that names a secret (clientSecret,
// accessToken, dbPassword).
var keySuffixes = []string{"SECRET", "PASSWORD", "PASSWD", "TOKEN", "APIKEY", "ACCESSKEY", "PRIVATEKEY", "SECRETKEY"}

// Key reports whether a key inside free text names a secret: stricter
// than Name, since what follows it is replaced in a command line, which
// must keep working. Its last part (split on _, -, . and space, leading
// dashes and Java's -D ignored) is PASSWORD, PASS, PWD, SECRET, TOKEN,
// APIKEY, CREDENTIALS or BEARER, or KEY after API, ACCESS, SECRET, PRIVATE, ...;
// or it ends in SECRET, PASSWORD, TOKEN, APIKEY (clientSecret). So
// --password, -Dspring.datasource.password, Pwd and X-Api-Key name
// secrets; --token-file, --no-auth and TOKEN_TTL do not.
func Key(key string) bool {
	ps := parts(strings.TrimLeft(key, "-"))
	if len(ps) == 0 {
		return false
	}
	last := ps[len(ps)-1]
	if slices.Contains(keyNouns, last) {
		return true
	}
	if last == "KEY" && len(ps) > 1 && slices.Contains(keyQualifiers, ps[len(ps)-2]) {
		return true
	}
	for _, s := range keySuffixes {
		if strings.HasSuffix(last, s) {
			return true
		}
	}
	return false
}

// credential matches values that are credentials whatever the name they
// sit under: AWS access key ids, JWTs, PEM private keys, Slack and GitHub
// tokens.
var credential = regexp.MustCompile(`(?:A(?:KIA|SIA)[0-9A-Z]{16}` +
	`|eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*` +
	`|-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)` +
	`|xox[abposr]-[A-Za-z0-9-]{8,}` +
	`|gh[pousr]_[A-Za-z0-9]{20,})`)

// Value reports whether v holds a credential-shaped string.
func Value(v string) bool { return credential.MatchString(v) }

// Exempt reports whether v, found where a secret would be, is no secret:
// empty, a shell variable reference ($NAME, ${NAME}, "$NAME"), or a devenv
// fake.
func Exempt(v string) bool {
	v = strings.Trim(v, `"'`)
	return v == "" || strings.HasPrefix(v, "$") || strings.HasPrefix(v, fakePrefix)
}

// PlainURL reports whether v is a URL carrying no credentials: no
// password and no secret-looking query parameter. Such a value under a
// secret-looking name (AUTH_URL, SENTRY_DSN without key) is kept.
func PlainURL(v string) bool {
	if !strings.Contains(v, "://") {
		return false
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	for k := range u.Query() {
		if Name(k) || k == "key" || k == "sig" {
			return false
		}
	}
	return true
}

// HideURLPassword replaces the password of a URL value
// (postgres://user:secret@db/app) with fake.
func HideURLPassword(v, fake string) (string, bool) {
	if !strings.Contains(v, "://") || !strings.Contains(v, "@") {
		return v, false
	}
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return v, false
	}
	if p, ok := u.User.Password(); !ok || Exempt(p) {
		return v, false
	}
	u.User = url.UserPassword(u.User.Username(), fake)
	return u.String(), true
}

// Store names where an ECS secret's valueFrom points, without the ARN:
// "Secrets Manager" or "SSM Parameter Store".
func Store(valueFrom string) string {
	if strings.Contains(valueFrom, ":secretsmanager:") {
		return "Secrets Manager"
	}
	return "SSM Parameter Store"
}

// The patterns of secrets embedded in free text. Go's regexp has no
// look-behind, so each starts with the boundary it needs as group 1, kept.
// Each key must end in one of secretNoun's words, so that ordinary text
// (the report's explanations, every value of a task definition) is
// passed over quickly; Key then decides.
const secretNoun = `(?i:password|passwd|pass|pwd|secret|token|key|credentials?|bearer)`

var (
	// userinfo: scheme://user:password@ (RFC 3986 userinfo has no '/',
	// '?', '#' or '@'; a password holding them is percent-encoded).
	userinfo = regexp.MustCompile(`(://[^\s/?#@:'"]*:)([^\s/?#@'"]+)(@)`)
	// pair: key=value after a start, space or separator (;,&?"'( and
	// quotes), the key optionally a flag (--password=X) or a Java property
	// (-Dpassword=X); the value up to the next separator, or quoted.
	pair = regexp.MustCompile(`(^|[\s;,&?'"(])(-D|--?)?((?:[A-Za-z_][A-Za-z0-9_.-]*)?` + secretNoun + `)(\s*=\s*)("[^"]*"|'[^']*'|[^\s;,&'"]*)`)
	// jsonPair: "key": "value" (SPRING_APPLICATION_JSON and the like).
	jsonPair = regexp.MustCompile(`(")((?:[A-Za-z_][A-Za-z0-9_.-]*)?` + secretNoun + `)("\s*:\s*")((?:[^"\\]|\\.)*)(")`)
	// flag: --flag value, in one string (a shell command).
	flag = regexp.MustCompile(`(^|\s)(--?(?:[A-Za-z][A-Za-z0-9_.-]*)?` + secretNoun + `)(\s+)('[^']*'|"[^"]*"|[^\s'"-][^\s'";|&]*)`)
	// header: Name: [scheme] credentials, for Authorization and headers
	// whose name is a secret key (X-Api-Key, X-Auth-Token).
	header = regexp.MustCompile(`(^|[\s'"])((?i:proxy-)?(?i:authorization)|(?:[A-Za-z][A-Za-z0-9-]*)?` + secretNoun + `)(\s*:\s*)((?i:bearer|basic|token|digest|apikey)\s+)?([^\s'"]+)`)
	// userFlag: curl's -u/--user user:password, in one string; a password
	// of digits only is a uid:gid (docker run -u 1000:1000), kept.
	userFlag = regexp.MustCompile(`(^|\s)(-u|--user|--proxy-user)(\s+|=)('?[^\s:'"]+:)([^\s'"]+)`)
	// userPass is the user:password value of such a flag as an argument.
	userPass = regexp.MustCompile(`^([^\s:'"]+:)([^\s'"]+)$`)
	// flagOnly is an argument that is a flag alone, its value the next one.
	flagOnly = regexp.MustCompile(`^--?[A-Za-z][A-Za-z0-9_.-]*$`)
)

// Redact replaces every secret embedded in the free text v (see the
// package comment) by a fake named after the key it sits under, and says
// what it found (nil: v is returned unchanged). The result never holds
// the secrets found; Redact of it finds nothing more.
func Redact(v string) (string, []What) {
	var found []What
	add := func(w What) {
		if !slices.Contains(found, w) {
			found = append(found, w)
		}
	}
	if mayHoldCredential(v) && credential.MatchString(v) {
		v = credential.ReplaceAllString(v, Redacted)
		add(Credential)
	}
	if !mayHoldKeyed(v) {
		return v, found
	}
	v = replace(userinfo, v, func(m []string) (string, bool) {
		if Exempt(m[2]) {
			return "", false
		}
		add(URLPassword)
		return m[1] + Fake("password") + m[3], true
	})
	v = replace(header, v, func(m []string) (string, bool) {
		name := strings.ToLower(m[2])
		if name != "authorization" && name != "proxy-authorization" && !Key(m[2]) || Exempt(m[5]) || strings.HasPrefix(m[5], "//") {
			return "", false
		}
		add(Header)
		return m[1] + m[2] + m[3] + m[4] + Fake(m[2]), true
	})
	v = replace(jsonPair, v, func(m []string) (string, bool) {
		if !Key(m[2]) || Exempt(m[4]) {
			return "", false
		}
		add(Pair)
		return m[1] + m[2] + m[3] + Fake(m[2]) + m[5], true
	})
	v = replace(pair, v, func(m []string) (string, bool) {
		if !Key(m[3]) || Exempt(m[5]) {
			return "", false
		}
		if m[2] == "--" || m[2] == "-" {
			add(Flag)
		} else {
			add(Pair)
		}
		return m[1] + m[2] + m[3] + m[4] + quoteLike(m[5], Fake(m[3])), true
	})
	if strings.Contains(v, "-u") || strings.Contains(v, "--user") || strings.Contains(v, "--proxy-user") {
		v = replace(userFlag, v, func(m []string) (string, bool) {
			if digits(m[5]) || Exempt(m[5]) {
				return "", false
			}
			add(UserPass)
			return m[1] + m[2] + m[3] + m[4] + Fake("password"), true
		})
	}
	v = replace(flag, v, func(m []string) (string, bool) {
		if !Key(m[2]) || Exempt(m[4]) {
			return "", false
		}
		add(Flag)
		return m[1] + m[2] + m[3] + quoteLike(m[4], Fake(m[2])), true
	})
	return v, found
}

// mayHoldCredential is a quick test that v may match credential: it
// holds the start of one of its shapes.
func mayHoldCredential(v string) bool {
	for _, p := range []string{"AKIA", "ASIA", "eyJ", "PRIVATE KEY", "xox", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"} {
		if strings.Contains(v, p) {
			return true
		}
	}
	return false
}

// mayHoldKeyed is a quick test that v may hold a secret under a key (a
// URL's password, a flag, a pair, a header): it holds one of secretNoun's
// words, "authorization" or "://". Redact's patterns are slow to fail on
// long text, which is most text.
func mayHoldKeyed(v string) bool {
	if strings.Contains(v, "://") {
		return true
	}
	l := strings.ToLower(v)
	for _, w := range []string{"pass", "pwd", "secret", "token", "key", "credential", "bearer", "authorization"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// RedactArgs is Redact for an argument list (a command, an entry point,
// a health check), where a secret flag's value may also be the next
// argument (["--password", "X"]). It returns a new list and, per
// argument, what was found (nil when nothing was).
func RedactArgs(args []string) ([]string, [][]What) {
	out := slices.Clone(args)
	found := make([][]What, len(args))
	for i, a := range args {
		if i > 0 && flagOnly.MatchString(args[i-1]) && Key(args[i-1]) && !strings.HasPrefix(a, "-") && !Exempt(a) {
			out[i], found[i] = Fake(args[i-1]), []What{Flag}
			continue
		}
		if i > 0 && (args[i-1] == "-u" || args[i-1] == "--user" || args[i-1] == "--proxy-user") {
			if m := userPass.FindStringSubmatch(a); m != nil && !digits(m[2]) && !Exempt(m[2]) {
				out[i], found[i] = m[1]+Fake("password"), []What{UserPass}
				continue
			}
		}
		out[i], found[i] = Redact(a)
	}
	return out, found
}

// RedactEntry is Redact for a map entry (a label, a log or volume driver
// option): under a secret-looking key (Name) the whole value is replaced
// by Fake(key) unless exempt or a URL without credentials; else the
// secrets embedded in the value are.
func RedactEntry(key, value string) (string, []What) {
	if Name(key) && !Exempt(value) && !PlainURL(value) {
		return Fake(key), []What{Keyed}
	}
	return Redact(value)
}

// digits reports whether s is a non-empty run of ASCII digits.
func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// replace replaces each match m of re in s by f(m) when f says so. A
// match left alone whose last group is quoted is searched again from
// inside the quotes, where a secret may sit (opts="password=X").
func replace(re *regexp.Regexp, s string, f func(m []string) (string, bool)) string {
	var b strings.Builder
	pos := 0
	for pos <= len(s) {
		loc := re.FindStringSubmatchIndex(s[pos:])
		if loc == nil {
			break
		}
		m := make([]string, len(loc)/2)
		for g := range m {
			if loc[2*g] >= 0 {
				m[g] = s[pos+loc[2*g] : pos+loc[2*g+1]]
			}
		}
		if r, ok := f(m); ok {
			b.WriteString(s[pos : pos+loc[0]])
			b.WriteString(r)
			pos += loc[1]
			if loc[1] == loc[0] {
				// An empty match: step over one byte so the search moves on.
				if pos < len(s) {
					b.WriteByte(s[pos])
				}
				pos++
			}
			continue
		}
		next := loc[1]
		if v := loc[len(loc)-2]; v >= 0 && v < loc[len(loc)-1] && (s[pos+v] == '"' || s[pos+v] == '\'') {
			next = v + 1
		}
		if next == 0 {
			next = 1
		}
		b.WriteString(s[pos:min(pos+next, len(s))])
		pos += next
	}
	if pos < len(s) {
		b.WriteString(s[pos:])
	}
	return b.String()
}

// quoteLike returns fake quoted as v is.
func quoteLike(v, fake string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[:1] + fake + v[:1]
	}
	return fake
}
