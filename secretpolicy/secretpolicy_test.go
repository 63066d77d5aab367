package secretpolicy_test

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/secretpolicy"
)

// TestName pins which names (environment variables, labels, options)
// count as secrets.
func TestName(t *testing.T) {
	for name, want := range map[string]bool{
		"AWS_ACCESS_KEY": true, "AWS_SECRET_ACCESS_KEY": true, "TD_API_KEY": true, "API_KEY": true,
		"DB_PASSWORD": true, "GITHUB_TOKEN": true, "apiKey": true, "PRIVATE_KEY_PEM": true,
		"SSH_KEY": true, "AWS_ACCESS_KEY_ID": true, "SIGNING_KEY_FILE": true, "SECRET_KEY_BASE": true,
		"deploy-token": true, "splunk-token": true, "com.example.password": true, "SENTRY_DSN": true,
		"S3_KEY_PREFIX": false, "CACHE_KEY_PREFIX": false, "KEYSPACE": false, "splunk-url": false,
		"AWS_S3_BUCKET": false, "TD_DATABASE": false, "GO_ENV": false, "DK_LOG_STDOUT": false, "PORT": false,
		"fluentd-address": false, "o": false, "team": false,
	} {
		assert.Equal(t, secretpolicy.Name(name), want, name)
	}
}

// TestKey pins which keys inside free text (flags, key=value pairs,
// headers) name a secret: stricter than Name, so that a command keeps
// its boolean flags and file paths.
func TestKey(t *testing.T) {
	for key, want := range map[string]bool{
		"--password": true, "password": true, "-password": true, "Pwd": true, "PASS": true,
		"spring.datasource.password": true, "--db-password": true, "--api-key": true, "X-Api-Key": true,
		"X-Auth-Token": true, "clientSecret": true, "accessToken": true, "--client-secret": true, "token": true,
		"--credentials": true, "apikey": true,
		"--token-file": false, "--no-auth": false, "TOKEN_TTL": false, "--key": false, "-p": false,
		"--user": false, "--oauth2-bearer": true, "Authorization": false, "--password-file": false, "bypass": false, "--": false, "": false,
	} {
		assert.Equal(t, secretpolicy.Key(key), want, key)
	}
}

// TestRedact: every shape of embedded secret is replaced by a fake named
// after its key, the rest of the text kept, and what was found said.
func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		found    []secretpolicy.What
	}{
		{"postgres://app:s3cr3t@db.example.com:5432/app", "postgres://app:devenv-fake-password@db.example.com:5432/app", []secretpolicy.What{secretpolicy.URLPassword}},
		{"redis://:s3cr3t@cache:6379/0", "redis://:devenv-fake-password@cache:6379/0", []secretpolicy.What{secretpolicy.URLPassword}},
		{"-Xmx512m -Ddb.url=jdbc:postgresql://u:pw@db/app -Dpassword=s3cr3t -Dfile.encoding=UTF-8", "-Xmx512m -Ddb.url=jdbc:postgresql://u:devenv-fake-password@db/app -Dpassword=devenv-fake-password -Dfile.encoding=UTF-8", []secretpolicy.What{secretpolicy.URLPassword, secretpolicy.Pair}},
		{"-Dspring.datasource.password=s3cr3t", "-Dspring.datasource.password=devenv-fake-spring-datasource-password", []secretpolicy.What{secretpolicy.Pair}},
		{"Server=db;Database=app;User Id=sa;Password=s3cr3t;", "Server=db;Database=app;User Id=sa;Password=devenv-fake-password;", []secretpolicy.What{secretpolicy.Pair}},
		{"Driver={SQL Server};Uid=sa;Pwd=s3cr3t", "Driver={SQL Server};Uid=sa;Pwd=devenv-fake-pwd", []secretpolicy.What{secretpolicy.Pair}},
		{"addr=10.0.0.5,username=svc,password=s3cr3t,vers=3.0", "addr=10.0.0.5,username=svc,password=devenv-fake-password,vers=3.0", []secretpolicy.What{secretpolicy.Pair}},
		{"--token=s3cr3t", "--token=devenv-fake-token", []secretpolicy.What{secretpolicy.Flag}},
		{"app serve --password s3cr3t --port 80", "app serve --password devenv-fake-password --port 80", []secretpolicy.What{secretpolicy.Flag}},
		{`app --api-key "s3 cr3t" --v`, `app --api-key "devenv-fake-api-key" --v`, []secretpolicy.What{secretpolicy.Flag}},
		{`curl -fs -H "Authorization: Bearer s3cr3t" http://localhost/health`, `curl -fs -H "Authorization: Bearer devenv-fake-authorization" http://localhost/health`, []secretpolicy.What{secretpolicy.Header}},
		{"Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic devenv-fake-authorization", []secretpolicy.What{secretpolicy.Header}},
		{"curl -H 'X-Api-Key: s3cr3t' http://x", "curl -H 'X-Api-Key: devenv-fake-x-api-key' http://x", []secretpolicy.What{secretpolicy.Header}},
		{`{"db": {"host": "db", "password": "s3\"cr3t"}}`, `{"db": {"host": "db", "password": "devenv-fake-password"}}`, []secretpolicy.What{secretpolicy.Pair}},
		{`OPTS="user=a password=s3cr3t"`, `OPTS="user=a password=devenv-fake-password"`, []secretpolicy.What{secretpolicy.Pair}},
		{"https://hooks.example.com/x?token=s3cr3t&v=1", "https://hooks.example.com/x?token=devenv-fake-token&v=1", []secretpolicy.What{secretpolicy.Pair}},
		{"curl -u probe:pr0be http://api/ && curl --oauth2-bearer ob-tok http://api/", "curl -u probe:devenv-fake-password http://api/ && curl --oauth2-bearer devenv-fake-oauth2-bearer http://api/", []secretpolicy.What{secretpolicy.UserPass, secretpolicy.Flag}},
		{"curl --user=probe:pr0be http://api/", "curl --user=probe:devenv-fake-password http://api/", []secretpolicy.What{secretpolicy.UserPass}},
		{"docker run -u 1000:1000 alpine", "docker run -u 1000:1000 alpine", nil},
		{"--aws-key=AKIAABCDEFGHIJKLMNOP", "--aws-key=devenv-fake-redacted", []secretpolicy.What{secretpolicy.Credential}},
		// Exempt: variable references, fakes, no secret key, no password.
		{"mysql --password=$MYSQL_PASSWORD -h db", "mysql --password=$MYSQL_PASSWORD -h db", nil},
		{`app --token "${TOKEN}"`, `app --token "${TOKEN}"`, nil},
		{"--password-file /run/secrets/db --token-ttl 3600 --no-auth", "--password-file /run/secrets/db --token-ttl 3600 --no-auth", nil},
		{"postgres://app@db:5432/app", "postgres://app@db:5432/app", nil},
		{"db.example.com:5432 localhost:8080", "db.example.com:5432 localhost:8080", nil},
		{"--password --verbose", "--password --verbose", nil},
		{"password=devenv-fake-password", "password=devenv-fake-password", nil},
		{"", "", nil},
	} {
		got, found := secretpolicy.Redact(tc.in)
		assert.Equal(t, got, tc.want, tc.in)
		assert.DeepEqual(t, found, tc.found)
		again, more := secretpolicy.Redact(got)
		assert.Equal(t, again, got, "Redact is not idempotent on %q", tc.in)
		assert.Assert(t, more == nil, "Redact(%q) finds %v after redaction", got, more)
	}
}

// TestRedactArgs: a secret flag's value may be the next argument.
func TestRedactArgs(t *testing.T) {
	in := []string{"/bin/app", "--password", "s3cr3t", "--token=s3cr3t", "--token-file", "/run/t", "--api-key", "$API_KEY", "--secret", "--verbose", "serve", "-u", "probe:pr0be", "--user", "1000:1000"}
	got, found := secretpolicy.RedactArgs(in)
	assert.DeepEqual(t, got, []string{"/bin/app", "--password", "devenv-fake-password", "--token=devenv-fake-token", "--token-file", "/run/t", "--api-key", "$API_KEY", "--secret", "--verbose", "serve", "-u", "probe:devenv-fake-password", "--user", "1000:1000"})
	assert.DeepEqual(t, found, [][]secretpolicy.What{nil, nil, {secretpolicy.Flag}, {secretpolicy.Flag}, nil, nil, nil, nil, nil, nil, nil, nil, {secretpolicy.UserPass}, nil, nil})
	assert.Equal(t, in[2], "s3cr3t", "RedactArgs changed its argument")
}

// TestRedactEntry: under a secret-looking key the whole value goes,
// unless exempt or a URL without credentials; else embedded secrets do.
func TestRedactEntry(t *testing.T) {
	for _, tc := range []struct {
		key, value, want string
		found            []secretpolicy.What
	}{
		{"deploy-token", "s3cr3t", "devenv-fake-deploy-token", []secretpolicy.What{secretpolicy.Keyed}},
		{"password", "s3cr3t", "devenv-fake-password", []secretpolicy.What{secretpolicy.Keyed}},
		{"o", "addr=10.0.0.5,password=s3cr3t", "addr=10.0.0.5,password=devenv-fake-password", []secretpolicy.What{secretpolicy.Pair}},
		{"auth-url", "https://auth.example.com/login", "https://auth.example.com/login", nil},
		{"api-token", "${TOKEN}", "${TOKEN}", nil},
		{"team", "api", "api", nil},
	} {
		got, found := secretpolicy.RedactEntry(tc.key, tc.value)
		assert.Equal(t, got, tc.want, tc.key)
		assert.DeepEqual(t, found, tc.found)
	}
}

func TestValue(t *testing.T) {
	for v, want := range map[string]bool{
		"AKIAABCDEFGHIJKLMNOP": true, "ASIAABCDEFGHIJKLMNOP": true, "eyJhbGciOi.eyJzdWIiOi.sig": true,
		"-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----": true,
		"xoxb-1234567890-abc": true, "ghp_abcdefghijklmnopqrstuvwxyz": true,
		"AKIA-short": false, "plain": false, "eyJ": false,
	} {
		assert.Equal(t, secretpolicy.Value(v), want, v)
	}
}

func TestPlainURL(t *testing.T) {
	for v, want := range map[string]bool{
		"https://auth.example.com/login": true, "http://sentry.example.com/1": true,
		"https://u:p@auth.example.com": false, "https://x.example.com/?token=1": false, "https://x.example.com/?sig=1": false,
		"not a url": false, "file:///x": false,
	} {
		assert.Equal(t, secretpolicy.PlainURL(v), want, v)
	}
}

func TestHideURLPassword(t *testing.T) {
	got, ok := secretpolicy.HideURLPassword("postgres://app:s3cr3t@db:5432/app?sslmode=disable", secretpolicy.Fake("DATABASE_URL_password"))
	assert.Assert(t, ok)
	assert.Equal(t, got, "postgres://app:devenv-fake-database-url-password@db:5432/app?sslmode=disable")
	for _, v := range []string{"postgres://app@db/app", "postgres://db/app", "postgres://app:$PW@db/app", "a@b"} {
		got, ok := secretpolicy.HideURLPassword(v, "x")
		assert.Assert(t, !ok, v)
		assert.Equal(t, got, v)
	}
}

func TestFakeAndStore(t *testing.T) {
	assert.Equal(t, secretpolicy.Fake("DB_PASSWORD"), "devenv-fake-db-password")
	assert.Equal(t, secretpolicy.Fake("--api.key"), "devenv-fake-api-key")
	assert.Equal(t, secretpolicy.Fake(""), secretpolicy.Redacted)
	assert.Assert(t, secretpolicy.Exempt(secretpolicy.Fake("x")))
	assert.Equal(t, secretpolicy.Store("arn:aws:secretsmanager:eu-west-1:1:secret:db"), "Secrets Manager")
	assert.Equal(t, secretpolicy.Store("arn:aws:ssm:eu-west-1:1:parameter/db"), "SSM Parameter Store")
	assert.Equal(t, secretpolicy.Why([]secretpolicy.What{secretpolicy.Flag, secretpolicy.Header, secretpolicy.Pair}), string(secretpolicy.Flag)+", "+string(secretpolicy.Header)+" and "+string(secretpolicy.Pair))
	// What is said of a secret is no secret itself: the report's safety
	// net (Redact of every production value and explanation) keeps it.
	all := []secretpolicy.What{secretpolicy.Credential, secretpolicy.URLPassword, secretpolicy.Flag, secretpolicy.Pair, secretpolicy.Header, secretpolicy.UserPass, secretpolicy.Keyed}
	why := secretpolicy.Why(all)
	got, found := secretpolicy.Redact(why)
	assert.Equal(t, got, why)
	assert.Assert(t, found == nil)
}
