package fieldpath_test

import (
	"errors"
	"fmt"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/devenv-sh/devenv/internal/fieldpath"
)

func TestPathString(t *testing.T) {
	var root fieldpath.Path
	web := root.Next("containerDefinitions").Index(1).Named("web")
	tests := []struct {
		name string
		path fieldpath.Path
		want string
	}{
		{"root", root, ""},
		{"key", root.Next("family"), "family"},
		{"index at root", root.Index(2), "[2]"},
		{"named container", web.Next("portMappings").Index(0).Next("hostPort"), "containerDefinitions[1](web).portMappings[0].hostPort"},
		{"unnamed container", root.Next("containerDefinitions").Index(0).Named("").Next("image"), "containerDefinitions[0].image"},
		{"hyphenated key", web.Next("logConfiguration").Next("options").Next("awslogs-group"), "containerDefinitions[1](web).logConfiguration.options.awslogs-group"},
		{"dotted key quoted", web.Next("dockerLabels").Next("com.example.team"), `containerDefinitions[1](web).dockerLabels["com.example.team"]`},
		{"empty key quoted", root.Next(""), `[""]`},
		{"leading digit quoted", root.Next("1x"), `["1x"]`},
		{"named on key ignored", root.Next("volumes").Named("x"), "volumes"},
		{"odd name quoted", root.Next("containerDefinitions").Index(0).Named("my app)"), `containerDefinitions[0]("my app)")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.path.String(), tt.want)
		})
	}
}

func TestPathImmutable(t *testing.T) {
	var root fieldpath.Path
	base := root.Next("containerDefinitions").Index(0)
	a := base.Next("image")
	b := base.Next("name")
	named := base.Named("web")
	assert.Equal(t, a.String(), "containerDefinitions[0].image")
	assert.Equal(t, b.String(), "containerDefinitions[0].name")
	assert.Equal(t, base.String(), "containerDefinitions[0]")
	assert.Equal(t, named.String(), "containerDefinitions[0](web)")
	assert.Equal(t, named.Container(), "web")
	assert.Equal(t, base.Container(), "")
	assert.Assert(t, root.IsRoot())
	assert.Assert(t, !base.IsRoot())
}

func TestFieldError(t *testing.T) {
	var root fieldpath.Path
	p := root.Next("containerDefinitions").Index(1).Named("web").Next("portMappings").Index(0).Next("hostPort")
	err := fieldpath.At("taskdefs/x.json", p, fieldpath.Invalidf("expected an integer, got string %q", "80"))
	assert.Error(t, err, `taskdefs/x.json: containerDefinitions[1](web).portMappings[0].hostPort: expected an integer, got string "80"`)
	assert.Equal(t, err.Container, "web")
	assert.Assert(t, errors.Is(err, fieldpath.ErrInvalid))
	assert.Assert(t, !errors.Is(err, fieldpath.ErrUnsupported))

	wrapped := fmt.Errorf("load task definitions: %w", errors.Join(err, fieldpath.At("y.json", root, fieldpath.Unsupportedf("no"))))
	assert.Assert(t, errors.Is(wrapped, fieldpath.ErrUnsupported))
	var fe *fieldpath.FieldError
	assert.Assert(t, errors.As(wrapped, &fe))
	assert.Equal(t, fe.File, "taskdefs/x.json")

	assert.Error(t, fieldpath.At("y.json", root, fieldpath.Invalidf("line 1, column 2: bad")), "y.json: line 1, column 2: bad")
	assert.Error(t, fieldpath.At("", root.Next("family"), fieldpath.Invalidf("missing")), "family: missing")
}
