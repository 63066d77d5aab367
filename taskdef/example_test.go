package taskdef_test

import (
	"errors"
	"fmt"
	"testing/fstest"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

func ExampleDecode() {
	def, err := taskdef.Decode("taskdefs/web.json", []byte(`{
		"family": "web",
		"containerDefinitions": [{"name": "web", "image": "nginx:1.27", "portMappings": [{"containerPort": 80}]}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	c := def.Task.ContainerDefinitions[0]
	fmt.Println(def.File, def.Task.Family, c.Name, *c.PortMappings[0].ContainerPort, c.PortMappings[0].HostPort == nil)
	// Output: taskdefs/web.json web web 80 true
}

func ExampleDecode_errors() {
	_, err := taskdef.Decode("taskdefs/web.json", []byte(`{
		"family": "web",
		"containerDefinitions": [
			{"name": "web", "image": "nginx", "PortMappings": [], "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}]},
			{"name": "worker", "image": "app", "portMappings": [{"containerPort": 8080, "hostPort": "8080"}]}
		]
	}`))
	fmt.Println(err)
	var fe *fieldpath.FieldError
	if errors.As(err, &fe) {
		fmt.Printf("first: file %s, container %s, path %s\n", fe.File, fe.Container, fe.Path)
	}
	// Output:
	// taskdefs/web.json: containerDefinitions[0](web).PortMappings: unknown field; did you mean "portMappings"? (field names are case-sensitive)
	// taskdefs/web.json: containerDefinitions[1](worker).portMappings[0].hostPort: expected an integer, got string "8080"; write 8080 without quotes
	// taskdefs/web.json: containerDefinitions[0](web).dependsOn[0].containerName: no container named "db" in this task definition; use one of "web", "worker"
	// first: file taskdefs/web.json, container web, path containerDefinitions[0](web).PortMappings
}

func ExampleLoad() {
	fsys := fstest.MapFS{
		"taskdefs/api.json":    {Data: []byte(`{"family": "api", "containerDefinitions": [{"name": "api", "image": "api:1"}]}`)},
		"taskdefs/worker.json": {Data: []byte(`{"taskDefinition": {"family": "worker", "containerDefinitions": [{"name": "worker", "image": "worker:1"}]}}`)},
	}
	defs, err := taskdef.Load(fsys, "taskdefs")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range defs {
		fmt.Println(d.File, d.Task.Family)
	}
	// Output:
	// taskdefs/api.json api
	// taskdefs/worker.json worker
}
