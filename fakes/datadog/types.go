package datadog

import "github.com/devenv-sh/devenv/fakeclient"

// The stub's inspection API answers in fakeclient's types, the ones user
// tests decode it with, so that the two cannot drift apart: each is
// documented there.
type (
	MetricType        = fakeclient.MetricType
	Metric            = fakeclient.Metric
	Event             = fakeclient.Event
	ServiceCheck      = fakeclient.ServiceCheck
	ParseError        = fakeclient.ParseError
	Window            = fakeclient.Window
	MetricQuery       = fakeclient.MetricQuery
	Aggregate         = fakeclient.Aggregate
	Series            = fakeclient.Series
	MetricsResult     = fakeclient.MetricsResult
	EventQuery        = fakeclient.EventQuery
	ServiceCheckQuery = fakeclient.ServiceCheckQuery
	SpanQuery         = fakeclient.SpanQuery
	Trace             = fakeclient.Trace
	Span              = fakeclient.Span
	Payload           = fakeclient.Payload
	Counts            = fakeclient.DatadogCounts
	Info              = fakeclient.DatadogInfo
	FilterTags        = fakeclient.DatadogFilterTags
	InfoConfig        = fakeclient.DatadogInfoConfig
)
