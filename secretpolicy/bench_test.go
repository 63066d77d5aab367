package secretpolicy_test

import (
	"testing"

	"github.com/devenv-sh/devenv/secretpolicy"
)

// BenchmarkRedact measures Redact on what it mostly sees: text with no
// secret (a report's explanation), and a value with several.
func BenchmarkRedact(b *testing.B) {
	for name, v := range map[string]string{
		"plain":   "each task has a network of its own: its containers reach each other by name, other tasks' containers only through devenv.yaml hosts rules, the fakes, a datadog-stub stand-in and published ports on 127.0.0.1",
		"secrets": "-Xmx1g -Dpassword=s3cr3t -Ddb.url=jdbc:postgresql://u:pw@db/app --token t0k3n Authorization: Bearer abc",
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				secretpolicy.Redact(v)
			}
		})
	}
}
