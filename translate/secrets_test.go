package translate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/composefile"
	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/taskdef"
	"github.com/devenv-sh/devenv/translate"
)

// TestSecretsNeverLeak puts distinctive sentinel values in every place a
// production secret can sit and checks that none appears anywhere in the
// rendered compose file or the report (text and JSON).
func TestSecretsNeverLeak(t *testing.T) {
	const src = `{
  "family": "leaky",
  "containerDefinitions": [{
    "name": "app",
    "image": "nginx:1.27",
    "environment": [
      {"name": "AWS_SECRET_ACCESS_KEY", "value": "SENTINEL-aws-secret-1"},
      {"name": "TD_API_KEY", "value": "SENTINEL-td-key-2"},
      {"name": "DB_PASSWORD", "value": "SENTINEL-pw-3"},
      {"name": "GITHUB_TOKEN", "value": "SENTINEL-token-4"},
      {"name": "apiKey", "value": "SENTINEL-camel-5"},
      {"name": "SESSION_SECRET", "value": "SENTINEL-session-6"},
      {"name": "REDIS_URL", "value": "postgres://app:SENTINEL-urlpw-11@db.example.com:5432/app"},
      {"name": "PLAIN", "value": "visible-value"},
      {"name": "UPSTREAM", "value": "AKIASENTINEL12345678"},
      {"name": "SESSION", "value": "eyJSENTINELhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"},
      {"name": "CERT", "value": "-----BEGIN RSA PRIVATE KEY-----\nSENTINEL-pem-12\n-----END RSA PRIVATE KEY-----"},
      {"name": "SLACK_HOOK", "value": "xoxb-SENTINEL-13-abcdef"},
      {"name": "S3_KEY_PREFIX", "value": "logs/app/"},
      {"name": "AUTH_URL", "value": "https://auth.example.com/login"}
    ],
    "command": ["run", "--aws-key=AKIASENTINEL87654321"],
    "entryPoint": ["/bin/app", "eyJSENTINEL1.eyJ2.sig"],
    "dockerLabels": {"deploy-token": "xoxp-SENTINEL-14-zzzz", "team": "api"},
    "healthCheck": {"command": ["CMD", "/bin/check", "--token", "ghp_SENTINEL15aaaaaaaaaaaaaaaaaaaa"]},
    "secrets": [
      {"name": "STRIPE_KEY", "valueFrom": "arn:aws:ssm:ap-northeast-1:1:parameter/SENTINEL-ssm-7"},
      {"name": "DATABASE_URL", "valueFrom": "arn:aws:secretsmanager:ap-northeast-1:1:secret:SENTINEL-sm-8"}
    ],
    "logConfiguration": {
      "logDriver": "splunk",
      "options": {"splunk-url": "https://splunk.example.com"},
      "secretOptions": [{"name": "splunk-token", "valueFrom": "arn:aws:ssm:ap-northeast-1:1:parameter/SENTINEL-logsecret-9"}]
    },
    "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:ap-northeast-1:1:secret:SENTINEL-repo-10"}
  }]
}`
	def, err := taskdef.Decode("taskdefs/leaky.json", []byte(src))
	assert.NilError(t, err)
	local := config.Default()
	local.Secrets = config.Secrets{"app": {"TD_API_KEY": {Value: "local-td", Source: config.SourceConfig}}}
	p, report, err := translate.Translate([]taskdef.Def{def}, local)
	assert.NilError(t, err)
	out, err := composefile.Render(p, []string{"taskdefs/leaky.json"})
	assert.NilError(t, err)
	js, err := json.Marshal(report)
	assert.NilError(t, err)
	for _, where := range []string{string(out), report.Text(), string(js)} {
		assert.Assert(t, !strings.Contains(where, "SENTINEL"), "a production secret leaked:\n%s", where)
	}
	env := p.Services["app"].Environment
	assert.Equal(t, *env["TD_API_KEY"], "local-td")
	assert.Equal(t, *env["DB_PASSWORD"], "devenv-fake-db-password")
	assert.Equal(t, *env["STRIPE_KEY"], "devenv-fake-stripe-key")
	assert.Equal(t, *env["PLAIN"], "visible-value")
	assert.Equal(t, *env["REDIS_URL"], "postgres://app:devenv-fake-redis-url-password@db.example.com:5432/app")
	assert.Assert(t, strings.Contains(string(out), "visible-value"))
	assert.Equal(t, *env["S3_KEY_PREFIX"], "logs/app/")
	assert.Equal(t, *env["AUTH_URL"], "https://auth.example.com/login")
	assert.Equal(t, *env["UPSTREAM"], "devenv-fake-upstream")
	assert.DeepEqual(t, []string(p.Services["app"].Command), []string{"run", "--aws-key=devenv-fake-redacted"})
	assert.Equal(t, p.Services["app"].Labels["team"], "api")
	assert.NilError(t, composefile.RoundTrip(t.Context(), "leaky.yaml", out, p))
}

// TestSecretsEnvValuesStayOutOfTheReport: values from .devenv/secrets.env
// reach the containers but are never shown by the report.
func TestSecretsEnvValuesStayOutOfTheReport(t *testing.T) {
	def, err := taskdef.Decode("taskdefs/app.json", []byte(`{"family": "app", "containerDefinitions": [{"name": "app", "image": "nginx:1.27",
  "environment": [{"name": "TD_API_KEY", "value": "..."}],
  "secrets": [{"name": "DD_API_KEY", "valueFrom": "dd"}]}]}`))
	assert.NilError(t, err)
	env, err := config.ParseSecretsEnv(".devenv/secrets.env", []byte("TD_API_KEY=SENTINEL-dev-td\napp.DD_API_KEY=SENTINEL-dev-dd\n"))
	assert.NilError(t, err)
	p, report, err := translate.Translate([]taskdef.Def{def}, config.Default().WithSecretsEnv(env))
	assert.NilError(t, err)
	assert.Equal(t, *p.Services["app"].Environment["TD_API_KEY"], "SENTINEL-dev-td")
	assert.Equal(t, *p.Services["app"].Environment["DD_API_KEY"], "SENTINEL-dev-dd")
	js, err := json.Marshal(report)
	assert.NilError(t, err)
	assert.Assert(t, !strings.Contains(report.Text()+string(js), "SENTINEL"), report.Text())
	assert.Assert(t, strings.Contains(report.Text(), "(from .devenv/secrets.env, hidden)"), report.Text())
}

// TestEnvironmentOverrideWins: an explicit devenv.yaml environment value
// replaces a secret-looking variable and an ECS secret; notSecret keeps a
// secret-looking name's production value, but never a credential-shaped one.
func TestEnvironmentOverrideWins(t *testing.T) {
	def, err := taskdef.Decode("taskdefs/app.json", []byte(`{"family": "app", "containerDefinitions": [{"name": "app", "image": "nginx:1.27",
  "environment": [{"name": "TD_API_KEY", "value": "SENTINEL-1"}, {"name": "TOKEN_TTL", "value": "24h"}, {"name": "PASS_THROUGH", "value": "AKIASENTINEL12345678"}],
  "secrets": [{"name": "DD_API_KEY", "valueFrom": "dd"}]}]}`))
	assert.NilError(t, err)
	local := config.Default()
	local.Environment = map[string]map[string]string{"app": {"TD_API_KEY": "from-env", "DD_API_KEY": "dd-local"}}
	local.Secrets = config.Secrets{"app": {"TD_API_KEY": {Value: "from-secrets", Source: config.SourceConfig}}}
	local.NotSecret = map[string]map[string]bool{"*": {"TOKEN_TTL": true}}
	p, report, err := translate.Translate([]taskdef.Def{def}, local)
	assert.NilError(t, err)
	env := p.Services["app"].Environment
	assert.Equal(t, *env["TD_API_KEY"], "from-env")
	assert.Equal(t, *env["DD_API_KEY"], "dd-local")
	assert.Equal(t, *env["TOKEN_TTL"], "24h")
	assert.Equal(t, *env["PASS_THROUGH"], "devenv-fake-pass-through")
	js, err := json.Marshal(report)
	assert.NilError(t, err)
	assert.Assert(t, !strings.Contains(report.Text()+string(js), "SENTINEL"), report.Text())
}

// TestNotSecretCannotKeepACredential: notSecret never keeps a
// credential-shaped value, so naming one there is an error, not a setting
// that silently does nothing.
func TestNotSecretCannotKeepACredential(t *testing.T) {
	def, err := taskdef.Decode("taskdefs/app.json", []byte(`{"family": "app", "containerDefinitions": [{"name": "app", "image": "nginx:1.27",
  "environment": [{"name": "PASS_THROUGH", "value": "AKIASENTINEL12345678"}]}]}`))
	assert.NilError(t, err)
	local := config.Default()
	local.NotSecret = map[string]map[string]bool{"*": {"PASS_THROUGH": true}}
	_, _, err = translate.Translate([]taskdef.Def{def}, local)
	assert.ErrorContains(t, err, `devenv.yaml: notSecret["*"]: PASS_THROUGH of every container keeps its production value anyway`)
	assert.Assert(t, !strings.Contains(err.Error(), "SENTINEL"), err)
}

// TestHostRulesMatchWholeNames: a hosts rule rewrites a host name only
// where it stands whole, and a service of an awsvpc task is reached
// through its namespace holder.
func TestHostRulesMatchWholeNames(t *testing.T) {
	app, err := taskdef.Decode("app.json", []byte(`{"family": "app", "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "environment": [
  {"name": "DB", "value": "postgres://db.prod:5432/app"},
  {"name": "REPLICA", "value": "postgres://replica-db.prod:5432/app"},
  {"name": "LONGER", "value": "db.prod.example.com"},
  {"name": "LIST", "value": "db.prod,DB.PROD.,xdb.prod"},
  {"name": "LOGS", "value": "logs.prod:24224"},
  {"name": "LOGS_PORT", "value": "logs.prod:242240"}]}]}`))
	assert.NilError(t, err)
	logs, err := taskdef.Decode("logs.json", []byte(`{"family": "logs", "networkMode": "awsvpc", "containerDefinitions": [{"name": "collector", "image": "fluent/fluentd:v1.17-1", "portMappings": [{"containerPort": 24224}]}]}`))
	assert.NilError(t, err)
	local := config.Default()
	local.Hosts = []config.HostRule{{Host: "db.prod", Service: "db"}, {Host: "logs.prod", Port: 24224, Service: "collector"}}
	p, _, err := translate.Translate([]taskdef.Def{app, logs}, local)
	assert.NilError(t, err)
	env := p.Services["app"].Environment
	for name, want := range map[string]string{
		"DB": "postgres://db:5432/app", "REPLICA": "postgres://replica-db.prod:5432/app", "LONGER": "db.prod.example.com",
		"LIST": "db,db.,xdb.prod", "LOGS": "logs-pause:24224", "LOGS_PORT": "logs.prod:242240",
	} {
		assert.Equal(t, *env[name], want, name)
	}
}
