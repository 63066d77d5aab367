package td

import "fmt"

// Name length limits Treasure Data enforces on database and table names
// (td-client-ruby validate_database_name / validate_table_name).
const (
	MinNameLen = 3
	MaxNameLen = 255
)

// ValidateName checks a database or table name against Treasure Data's
// rule ^[a-z0-9_]{3,255}$. kind ("database" or "table") names the field in
// the error, which wraps ErrInvalidName.
func ValidateName(kind, name string) error {
	if len(name) < MinNameLen || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %s name must be %d to %d characters, got %d characters. name = '%s'",
			ErrInvalidName, kind, MinNameLen, MaxNameLen, len(name), name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return fmt.Errorf("%w: %s name must consist only of lower-case alphabets, numbers and '_'. name = '%s'",
				ErrInvalidName, kind, name)
		}
	}
	return nil
}
