package watch

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/translate"
)

func TestPlanDiff(t *testing.T) {
	image := translate.Deviation{File: "taskdefs/api.json", Service: "api", Container: "api", Path: "containerDefinitions[0](api).image", Kind: translate.Rewritten, Production: "123.dkr.ecr/api:1", Local: "devenv.local/api:dev", Why: "a go: rule"}
	port := translate.Deviation{File: "taskdefs/api.json", Service: "api", Container: "api", Path: "containerDefinitions[0](api).portMappings[0].hostPort", Kind: translate.Rewritten, Production: "8080", Local: "18080", Why: "devenv.yaml services"}
	flush := translate.Deviation{File: "fluentd/fluent.conf", Line: 54, Service: "fluentd", Path: "<match a.**>/<store>[0] (s3).flush_interval", Kind: translate.Rewritten, Production: "600s", Local: "1s", Why: "events show up in seconds"}
	task := translate.Deviation{File: "taskdefs/api.json", Path: "networkMode", Kind: translate.Dropped, Production: "awsvpc", Why: "a network of its own"}

	movedFlush := flush
	movedFlush.Line = 56 // two lines added above it
	newPort := port
	newPort.Local = "18081"
	secret := translate.Deviation{File: "taskdefs/api.json", Service: "api", Container: "api", Path: "containerDefinitions[0](api).secrets[0](DB_PASSWORD)", Kind: translate.Rewritten, Production: "(secret)", Local: "devenv-fake-DB_PASSWORD", Why: "a stand-in"}

	assert.DeepEqual(t, PlanDiff(translate.Report{image, port, task, flush}, translate.Report{image, newPort, secret, movedFlush}), []string{
		"~ api rewritten containerDefinitions[0](api).portMappings[0].hostPort: 8080 → 18081 (was rewritten 8080 → 18080)",
		"+ api rewritten containerDefinitions[0](api).secrets[0](DB_PASSWORD): (secret) → devenv-fake-DB_PASSWORD: a stand-in",
		"- (task) dropped taskdefs/api.json: networkMode: awsvpc → (none)",
	})
	assert.Equal(t, summary(PlanDiff(translate.Report{image, port, task, flush}, translate.Report{image, newPort, secret, movedFlush})), "1 added, 1 changed, 1 gone")
	assert.Equal(t, len(PlanDiff(translate.Report{image, flush}, translate.Report{image, movedFlush})), 0, "a line that moved is the same deviation")
}

func TestNewHazards(t *testing.T) {
	was := []string{
		"fluentd/fluent.conf:21:13: unanchored-pattern: pattern EVENT on log_type is unanchored",
		"fluentd/fluent.conf:54:22: long-flush: s3 flush_interval 600s",
	}
	now := []string{
		"fluentd/fluent.conf:23:13: unanchored-pattern: pattern EVENT on log_type is unanchored", // moved down two lines
		"fluentd/fluent.conf:56:22: long-flush: s3 flush_interval 900s",
	}
	assert.DeepEqual(t, newHazards(was, now), []string{"fluentd/fluent.conf:56:22: long-flush: s3 flush_interval 900s"})
}
