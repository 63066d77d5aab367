package translate

import (
	"fmt"

	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

// droppedContainerFields reports container fields with no local effect.
func (tk *task) droppedContainerFields(c *taskdef.ContainerDefinition, p fieldpath.Path) {
	if c.RepositoryCredentials != nil {
		tk.deviate(c, p.Next("repositoryCredentials"), Dropped, "(registry credentials secret)", "", "local images are built or pulled with your own Docker login")
	}
	if c.VersionConsistency != "" {
		tk.deviate(c, p.Next("versionConsistency"), Dropped, c.VersionConsistency, "", "digest pinning is an ECS deployment feature")
	}
	if len(c.ResourceRequirements) > 0 {
		var l []string
		for _, r := range c.ResourceRequirements {
			l = append(l, r.Type+"="+r.Value)
		}
		tk.deviate(c, p.Next("resourceRequirements"), Unsupported, joinList(l), "", "GPUs and accelerators are not reserved locally")
	}
	if len(c.CredentialSpecs) > 0 {
		tk.deviate(c, p.Next("credentialSpecs"), Unsupported, joinList(c.CredentialSpecs), "", "gMSA credential specs need Active Directory")
	}
	if lp := c.LinuxParameters; lp != nil {
		for i, t := range lp.Tmpfs {
			if len(t.MountOptions) > 0 {
				tk.deviate(c, p.Next("linuxParameters").Next("tmpfs").Index(i).Next("mountOptions"), Dropped, joinList(t.MountOptions), "", "Compose's tmpfs mount takes only size and mode")
			}
		}
	}
}

// taskFields reports task-level fields with no or a different local effect.
func (tk *task) taskFields() {
	td := tk.td
	r := tk.def.Root()
	dev := func(field string, kind Kind, prod, why string) {
		tk.deviate(nil, r.Next(field), kind, prod, "", why)
	}
	if td.TaskRoleArn != nil {
		dev("taskRoleArn", Dropped, *td.TaskRoleArn, "no AWS credentials are given to local containers; the fakes need none")
	}
	if td.ExecutionRoleArn != nil {
		dev("executionRoleArn", Dropped, *td.ExecutionRoleArn, "images and secrets are not fetched from AWS locally")
	}
	if td.Cpu != nil {
		dev("cpu", Dropped, *td.Cpu, "Compose has no task-wide CPU limit; container cpu values apply")
	}
	if td.Memory != nil {
		dev("memory", Dropped, *td.Memory, "Compose has no task-wide memory limit; container memory values apply")
	}
	if len(td.PlacementConstraints) > 0 {
		dev("placementConstraints", Dropped, itoa(len(td.PlacementConstraints))+" constraints", "there is one local host")
	}
	if len(td.RequiresCompatibilities) > 0 {
		dev("requiresCompatibilities", Dropped, joinList(td.RequiresCompatibilities), "launch types do not exist locally")
	}
	if len(td.Tags) > 0 {
		dev("tags", Dropped, itoa(len(td.Tags))+" tags", "AWS resource tags")
	}
	if td.ProxyConfiguration != nil {
		dev("proxyConfiguration", Unsupported, td.ProxyConfiguration.Type+" via "+td.ProxyConfiguration.ContainerName+": ECS redirects the task's traffic through the proxy", "the App Mesh proxy's traffic redirection is not set up locally: the task's containers talk to each other and to other services directly, without App Mesh routes, retries or TLS; "+td.ProxyConfiguration.ContainerName+" runs as an ordinary container")
	}
	if len(td.InferenceAccelerators) > 0 {
		dev("inferenceAccelerators", Unsupported, itoa(len(td.InferenceAccelerators))+" accelerators", "Elastic Inference is not available locally")
	}
	if td.EphemeralStorage != nil {
		dev("ephemeralStorage", Dropped, itoa(td.EphemeralStorage.SizeInGiB)+" GiB", "local containers use the Docker host's disk")
	}
	if rp := td.RuntimePlatform; rp != nil {
		if rp.OperatingSystemFamily != "" && rp.OperatingSystemFamily != "LINUX" {
			dev("runtimePlatform", Unsupported, rp.OperatingSystemFamily, "devenv runs Linux containers only")
		} else if rp.CpuArchitecture != "" {
			tk.deviate(nil, r.Next("runtimePlatform"), Rewritten, rp.CpuArchitecture, tk.convertPlatform(), "platform: the image is built or pulled for it, emulated if the host differs")
		}
	}
	if td.EnableFaultInjection != nil {
		dev("enableFaultInjection", Dropped, fmt.Sprint(*td.EnableFaultInjection), "ECS fault injection endpoints are not emulated")
	}
	if td.TrustedExecutionConfiguration != nil {
		dev("trustedExecutionConfiguration", Unsupported, td.TrustedExecutionConfiguration.IsolationMode, "sandboxed isolation is not available locally")
	}
	switch td.PidMode {
	case "task":
		tk.deviate(nil, r.Next("pidMode"), Rewritten, "task", "service:"+tk.owner, "containers join "+tk.owner+"'s PID namespace")
	}
	switch td.IpcMode {
	case "task":
		tk.deviate(nil, r.Next("ipcMode"), Rewritten, "task", "service:"+tk.owner, "containers join "+tk.owner+"'s IPC namespace")
	}
	meta := []struct {
		field string
		set   bool
	}{
		{"taskDefinitionArn", td.TaskDefinitionArn != nil},
		{"revision", td.Revision != nil},
		{"status", td.Status != ""},
		{"requiresAttributes", len(td.RequiresAttributes) > 0},
		{"compatibilities", len(td.Compatibilities) > 0},
		{"registeredAt", td.RegisteredAt != nil},
		{"registeredBy", td.RegisteredBy != nil},
		{"deregisteredAt", td.DeregisteredAt != nil},
		{"deleteRequestedAt", td.DeleteRequestedAt != nil},
	}
	for _, m := range meta {
		if m.set {
			dev(m.field, Dropped, "(describe output)", "metadata of the registered revision; no effect on containers")
		}
	}
	if tk.mode == taskdef.NetworkModeBridge || tk.mode == taskdef.NetworkModeAWSVPC || tk.mode == taskdef.NetworkModeDefault {
		tk.deviate(nil, r.Next("networkMode"), Rewritten, tk.prodNetworkMode(), "network "+taskNetwork(td.Family), "each task has a network of its own: its containers reach each other by name, other tasks' containers only through devenv.yaml hosts rules, the fakes, a datadog-stub stand-in and published ports on "+tk.t.local.BindAddress)
	}
	if tk.mode == taskdef.NetworkModeHost {
		tk.deviate(nil, r.Next("networkMode"), Rewritten, "host", "host (the Docker host's network)", "containers listen on every address of this machine; ports cannot be limited to "+tk.t.local.BindAddress)
	}
}
