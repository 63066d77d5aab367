package td

import "github.com/devenv-sh/devenv/fakeclient"

// The inspection API answers in fakeclient's types, the ones user tests
// decode it with, so that the two cannot drift apart: each is documented
// there. Table, ImportEntry and Validation are also what a Store keeps and
// an import decodes to; a Record the fake builds holds int64 or uint64
// integers where a decoded one holds json.Number.
type (
	Record      = fakeclient.TDRecord
	RecordsPage = fakeclient.TDRecordsPage
	Table       = fakeclient.TDTable
	ImportEntry = fakeclient.TDImport
	Validation  = fakeclient.TDValidation
	Finding     = fakeclient.TDFinding
	Counts      = fakeclient.TDCounts
)
