package translate

import (
	"slices"
	"strings"

	"github.com/devenv-sh/devenv/taskdef"
)

// FireLensHealthPort is the port of the tcp input (tag
// firelens-healthcheck, on 127.0.0.1) that ECS adds to the configuration
// it generates for a FireLens router; the health check AWS documents for
// the router sends a line to it.
const FireLensHealthPort = "8877"

// reportSidecars says what production's FireLens router and App Mesh proxy
// do that the local stack does not, and the consequence for the task's
// other containers: a check that only passes against what ECS generates
// or App Mesh serves never passes here, so a container that waits for that
// sidecar to be healthy never starts.
func (tk *task) reportSidecars() {
	neverHealthy := map[string]string{} // container → why its check fails locally
	for i := range tk.td.ContainerDefinitions {
		c := &tk.td.ContainerDefinitions[i]
		p := tk.containerPath(i)
		if fc := c.FirelensConfiguration; fc != nil {
			what := "FireLens router (" + fc.Type + "): ECS generates its configuration (inputs on /var/run/fluent.sock, 127.0.0.1:24224 and the health input on 127.0.0.1:" + FireLensHealthPort + ", one output per awsfirelens container's options)"
			why := "devenv does not generate the FireLens configuration: the router runs with its image's own configuration, and awsfirelens containers log to json-file"
			if t := fc.Options["config-file-type"]; t == "s3" {
				why += "; its extra configuration (config-file-type s3, " + fc.Options["config-file-value"] + ") is not fetched from S3"
			}
			tk.deviate(c, p.Next("firelensConfiguration"), Unsupported, what, "an ordinary container", why)
			if hc := c.HealthCheck; hc != nil && slices.ContainsFunc(hc.Command, func(s string) bool { return strings.Contains(s, FireLensHealthPort) }) {
				neverHealthy[c.Name] = "the FireLens config is not generated"
				tk.deviate(c, p.Next("healthCheck").Next("command"), Unsupported, "passes against the health input on 127.0.0.1:"+FireLensHealthPort+" of the FireLens configuration ECS generates", "fails: nothing listens on port "+FireLensHealthPort, "the FireLens config is not generated, so "+c.Name+" will not become healthy locally")
			}
		}
	}
	if pc := tk.td.ProxyConfiguration; pc != nil {
		if proxy := tk.containerNamed(pc.ContainerName); proxy != nil && proxy.HealthCheck != nil && appMeshEnvoy(proxy) {
			neverHealthy[proxy.Name] = "envoy cannot fetch its configuration from App Mesh locally"
		}
	}
	for i := range tk.td.ContainerDefinitions {
		c := &tk.td.ContainerDefinitions[i]
		for j, d := range c.DependsOn {
			why, ok := neverHealthy[d.ContainerName]
			if !ok || d.Condition != "HEALTHY" {
				continue
			}
			tk.deviate(c, tk.containerPath(i).Next("dependsOn").Index(j), Unsupported, c.Name+" starts once "+d.ContainerName+" is healthy", c.Name+" never starts", c.Name+" waits for "+d.ContainerName+" healthy, which will not become healthy locally: "+why)
		}
	}
}

// containerNamed returns the task's container called name, or nil.
func (tk *task) containerNamed(name string) *taskdef.ContainerDefinition {
	for i := range tk.td.ContainerDefinitions {
		if tk.td.ContainerDefinitions[i].Name == name {
			return &tk.td.ContainerDefinitions[i]
		}
	}
	return nil
}

// appMeshEnvoy reports whether c is App Mesh's Envoy, which takes its
// configuration from the App Mesh control plane (it names its virtual
// node or resource in APPMESH_* variables, or runs AWS's image).
func appMeshEnvoy(c *taskdef.ContainerDefinition) bool {
	if strings.Contains(c.Image, "aws-appmesh-envoy") {
		return true
	}
	return slices.ContainsFunc(c.Environment, func(kv taskdef.KeyValuePair) bool {
		return strings.HasPrefix(deref(kv.Name), "APPMESH_")
	})
}

// prodNetworkMode describes the task's network mode as production has it:
// when the file leaves networkMode out, the default ECS applies for the
// task's launch types and operating system.
func (tk *task) prodNetworkMode() string {
	td := tk.td
	if td.NetworkMode != "" {
		return td.NetworkMode
	}
	if rp := td.RuntimePlatform; rp != nil && strings.HasPrefix(rp.OperatingSystemFamily, "WINDOWS") {
		return "not set: default (ECS's default for Windows tasks, Docker's NAT network)"
	}
	s := "not set: bridge (ECS's default for Linux tasks on EC2 and EXTERNAL instances)"
	if slices.Contains(td.RequiresCompatibilities, "FARGATE") {
		s += "; with FARGATE among requiresCompatibilities ECS refuses to register it (Fargate only supports awsvpc)"
	}
	return s
}
