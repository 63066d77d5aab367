package router_test

import (
	"testing"

	"github.com/devenv-sh/devenv/fluent/record"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/fluent/router"
)

// TestTDStoreValues: the TD store of the production config as td 0.10.29
// writes the record: a top-level Bignum stringifies every top-level
// integer, time included; a nested one closes the connection with nothing
// stored; a float forward time stays a float (classes 5 and 6 of issue 10).
func TestTDStoreValues(t *testing.T) {
	r := newDelishRouter(t, delishEnv())
	tdRec := func(j router.Journey) record.Record {
		for _, d := range j.Deliveries {
			if d.Output.Type == "tdlog" {
				return d.Record
			}
		}
		return nil
	}
	j := r.Route(dockerEvent(`{"log_type":"EVENT","event_type":"click","id":123456789012345678901234,"n":7,"f":1.5}`))
	assert.DeepEqual(t, tdRec(j), rec("log_type", "EVENT", "event_type", "click", "id", "123456789012345678901234", "n", "7", "f", 1.5, "time", "1704164645"))

	j = r.Route(dockerEvent(`{"log_type":"EVENT","event_type":"click","o":{"id":123456789012345678901234}}`))
	assert.Equal(t, len(j.Drops), 1)
	assert.Equal(t, j.Drops[0].Kind, record.DropConnectionClosed)
	assert.Assert(t, tdRec(j) == nil) // (S3 storing nothing either is the copy chain's order, point 7)

	j = r.Route(router.Event{Tag: "delish.event.signup", Time: router.EventTime{Sec: td, Nsec: 5e8, IsFloat: true, Float: td + 0.5}, Record: rec("a", int64(1))})
	assert.DeepEqual(t, tdRec(j), rec("a", int64(1), "time", float64(td)+0.5))
}
