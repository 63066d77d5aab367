// Package taskdef loads Amazon ECS task definitions: the JSON a team passes to
// `aws ecs register-task-definition` or gets back from
// `aws ecs describe-task-definition`.
//
// The types mirror the ECS API (RegisterTaskDefinition input, TaskDefinition
// and ContainerDefinition) field for field: Go field names are the JSON names
// in CamelCase, optional scalars are pointers (a JSON null decodes as absent),
// enumerations are strings whose zero value means "absent". The types carry no
// AWS SDK dependency.
package taskdef

import (
	"encoding/json"
	"fmt"

	"github.com/devenv-sh/devenv/internal/fieldpath"
)

// Def is one decoded task definition and the file it came from.
type Def struct {
	// File is the path as the user gave it, e.g. "taskdefs/api-server.json".
	File string
	// Task is the task definition itself.
	Task TaskDefinition
	// Wrapper is the key Task sits under in File: "" for
	// register-task-definition input, "taskDefinition" for
	// describe-task-definition output. Errors and reports about Task
	// prefix their field paths with it (see Root).
	Wrapper string
}

// Root returns the path of the task definition inside its file.
func (d *Def) Root() fieldpath.Path {
	if d.Wrapper == "" {
		return fieldpath.Path{}
	}
	return fieldpath.Path{}.Next(d.Wrapper)
}

// TaskDefinition is the ECS task definition: the RegisterTaskDefinition input
// plus the fields that only DescribeTaskDefinition returns.
type TaskDefinition struct {
	// Family is the task definition family name (required).
	Family string `json:"family"`
	// TaskRoleArn is the IAM role the task's containers assume.
	TaskRoleArn *string `json:"taskRoleArn,omitempty"`
	// ExecutionRoleArn is the IAM role the ECS agent uses to pull images and read secrets.
	ExecutionRoleArn *string `json:"executionRoleArn,omitempty"`
	// NetworkMode is one of NetworkModeBridge, NetworkModeHost, NetworkModeAWSVPC,
	// NetworkModeNone, NetworkModeDefault; empty means absent (ECS then uses
	// bridge on Linux EC2).
	NetworkMode string `json:"networkMode,omitempty"`
	// ContainerDefinitions are the task's containers (at least one).
	ContainerDefinitions []ContainerDefinition `json:"containerDefinitions"`
	// Volumes are the data volumes the containers can mount.
	Volumes []Volume `json:"volumes,omitempty"`
	// PlacementConstraints restrict where the task may be placed.
	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`
	// RequiresCompatibilities lists the launch types the definition is validated
	// against: "EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES".
	RequiresCompatibilities []string `json:"requiresCompatibilities,omitempty"`
	// Cpu is the task-level CPU as ECS accepts it: CPU units ("256") or vCPUs ("0.25 vCPU").
	Cpu *string `json:"cpu,omitempty"`
	// Memory is the task-level memory as ECS accepts it: MiB ("512") or GB ("1 GB").
	Memory *string `json:"memory,omitempty"`
	// Tags are the task definition's resource tags.
	Tags []Tag `json:"tags,omitempty"`
	// PidMode is "host" or "task"; empty means absent.
	PidMode string `json:"pidMode,omitempty"`
	// IpcMode is "host", "task" or "none"; empty means absent.
	IpcMode string `json:"ipcMode,omitempty"`
	// ProxyConfiguration is the App Mesh proxy configuration.
	ProxyConfiguration *ProxyConfiguration `json:"proxyConfiguration,omitempty"`
	// InferenceAccelerators are the Elastic Inference accelerators of the task.
	InferenceAccelerators []InferenceAccelerator `json:"inferenceAccelerators,omitempty"`
	// EphemeralStorage is the Fargate ephemeral storage size.
	EphemeralStorage *EphemeralStorage `json:"ephemeralStorage,omitempty"`
	// RuntimePlatform is the operating system and CPU architecture the task needs.
	RuntimePlatform *RuntimePlatform `json:"runtimePlatform,omitempty"`
	// EnableFaultInjection turns on ECS fault injection endpoints for the task.
	EnableFaultInjection *bool `json:"enableFaultInjection,omitempty"`
	// TrustedExecutionConfiguration selects the task's isolation mode.
	TrustedExecutionConfiguration *TrustedExecutionConfiguration `json:"trustedExecutionConfiguration,omitempty"`

	// TaskDefinitionArn is the full ARN (describe output only).
	TaskDefinitionArn *string `json:"taskDefinitionArn,omitempty"`
	// Revision is the revision number within the family (describe output only).
	Revision *int `json:"revision,omitempty"`
	// Status is "ACTIVE", "INACTIVE" or "DELETE_IN_PROGRESS" (describe output only).
	Status string `json:"status,omitempty"`
	// RequiresAttributes are the container instance attributes the task needs (describe output only).
	RequiresAttributes []Attribute `json:"requiresAttributes,omitempty"`
	// Compatibilities are the launch types the definition is compatible with (describe output only).
	Compatibilities []string `json:"compatibilities,omitempty"`
	// RegisteredAt is when the revision was registered (describe output only).
	RegisteredAt *Timestamp `json:"registeredAt,omitempty"`
	// RegisteredBy is the principal that registered the revision (describe output only).
	RegisteredBy *string `json:"registeredBy,omitempty"`
	// DeregisteredAt is when the revision was deregistered (describe output only).
	DeregisteredAt *Timestamp `json:"deregisteredAt,omitempty"`
	// DeleteRequestedAt is when deletion of the revision was requested (describe output only).
	DeleteRequestedAt *Timestamp `json:"deleteRequestedAt,omitempty"`
}

// Network modes accepted by ECS.
const (
	NetworkModeBridge = "bridge"
	NetworkModeHost   = "host"
	NetworkModeAWSVPC = "awsvpc"
	NetworkModeNone   = "none"
	// NetworkModeDefault is the legacy "default": Docker's default network
	// (bridge on Linux, NAT on Windows).
	NetworkModeDefault = "default"
)

// Container dependency conditions accepted by ECS.
const (
	ConditionStart    = "START"
	ConditionComplete = "COMPLETE"
	ConditionSuccess  = "SUCCESS"
	ConditionHealthy  = "HEALTHY"
)

// Timestamp is a point in time as the describe output carries it, kept as
// written: an RFC 3339 string (what the AWS CLI prints) or epoch seconds (what
// the API sends, e.g. "1689256896.949"). It re-encodes in the same form.
type Timestamp string

// MarshalJSON writes the timestamp as a JSON number when it is one, else as a string.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if isNumber(string(t)) {
		return []byte(t), nil
	}
	return json.Marshal(string(t))
}

// UnmarshalJSON accepts a JSON string or number.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Timestamp(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("decode timestamp: expected a string or a number, got %s", b)
	}
	*t = Timestamp(n)
	return nil
}

// isNumber reports whether s is exactly a JSON number, with no surrounding space.
func isNumber(s string) bool {
	if s == "" || !json.Valid([]byte(s)) {
		return false
	}
	first, last := s[0], s[len(s)-1]
	return (first == '-' || (first >= '0' && first <= '9')) && last >= '0' && last <= '9'
}

// ContainerDefinition is one container of a task definition.
type ContainerDefinition struct {
	// Name is the container name (required): up to 255 letters, digits, hyphens and underscores.
	Name string `json:"name"`
	// Image is the image reference (required).
	Image string `json:"image"`
	// RepositoryCredentials names the secret holding private registry credentials.
	RepositoryCredentials *RepositoryCredentials `json:"repositoryCredentials,omitempty"`
	// Cpu is the number of CPU units reserved for the container.
	Cpu *int `json:"cpu,omitempty"`
	// Memory is the hard memory limit in MiB.
	Memory *int `json:"memory,omitempty"`
	// MemoryReservation is the soft memory limit in MiB.
	MemoryReservation *int `json:"memoryReservation,omitempty"`
	// Links are "name" or "name:alias" links to other containers (bridge mode).
	Links []string `json:"links,omitempty"`
	// PortMappings are the ports the container exposes.
	PortMappings []PortMapping `json:"portMappings,omitempty"`
	// Essential says whether the task stops when this container stops (ECS default: true).
	Essential *bool `json:"essential,omitempty"`
	// RestartPolicy restarts the container in place when it exits.
	RestartPolicy *RestartPolicy `json:"restartPolicy,omitempty"`
	// EntryPoint overrides the image's entry point.
	EntryPoint []string `json:"entryPoint,omitempty"`
	// Command overrides the image's command.
	Command []string `json:"command,omitempty"`
	// Environment holds plain-text environment variables.
	Environment []KeyValuePair `json:"environment,omitempty"`
	// EnvironmentFiles are S3 objects holding environment variables.
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles,omitempty"`
	// MountPoints mount task volumes into the container.
	MountPoints []MountPoint `json:"mountPoints,omitempty"`
	// VolumesFrom mounts all volumes of other containers.
	VolumesFrom []VolumeFrom `json:"volumesFrom,omitempty"`
	// LinuxParameters are Linux-specific settings (capabilities, devices, tmpfs, ...).
	LinuxParameters *LinuxParameters `json:"linuxParameters,omitempty"`
	// Secrets are environment variables read from SSM or Secrets Manager.
	Secrets []Secret `json:"secrets,omitempty"`
	// DependsOn orders container startup and shutdown.
	DependsOn []ContainerDependency `json:"dependsOn,omitempty"`
	// StartTimeout is how many seconds to wait for dependencies before giving up.
	StartTimeout *int `json:"startTimeout,omitempty"`
	// StopTimeout is how many seconds to wait before killing the container on stop.
	StopTimeout *int `json:"stopTimeout,omitempty"`
	// VersionConsistency is "enabled" or "disabled" (image digest pinning); empty means absent.
	VersionConsistency string `json:"versionConsistency,omitempty"`
	// Hostname is the container's host name.
	Hostname *string `json:"hostname,omitempty"`
	// User is the user (and optional group) the container runs as.
	User *string `json:"user,omitempty"`
	// WorkingDirectory is the working directory of the command.
	WorkingDirectory *string `json:"workingDirectory,omitempty"`
	// DisableNetworking turns networking off inside the container.
	DisableNetworking *bool `json:"disableNetworking,omitempty"`
	// Privileged runs the container with elevated privileges.
	Privileged *bool `json:"privileged,omitempty"`
	// ReadonlyRootFilesystem mounts the root filesystem read-only.
	ReadonlyRootFilesystem *bool `json:"readonlyRootFilesystem,omitempty"`
	// DnsServers are DNS servers for the container.
	DnsServers []string `json:"dnsServers,omitempty"`
	// DnsSearchDomains are DNS search domains for the container.
	DnsSearchDomains []string `json:"dnsSearchDomains,omitempty"`
	// ExtraHosts are /etc/hosts entries.
	ExtraHosts []HostEntry `json:"extraHosts,omitempty"`
	// DockerSecurityOptions are SELinux/AppArmor labels and similar.
	DockerSecurityOptions []string `json:"dockerSecurityOptions,omitempty"`
	// Interactive keeps stdin open (docker run -i).
	Interactive *bool `json:"interactive,omitempty"`
	// PseudoTerminal allocates a TTY (docker run -t).
	PseudoTerminal *bool `json:"pseudoTerminal,omitempty"`
	// DockerLabels are labels set on the container.
	DockerLabels map[string]string `json:"dockerLabels,omitempty"`
	// Ulimits are resource limits.
	Ulimits []Ulimit `json:"ulimits,omitempty"`
	// LogConfiguration is the container's log driver and options.
	LogConfiguration *LogConfiguration `json:"logConfiguration,omitempty"`
	// HealthCheck is the container health check.
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// SystemControls are namespaced kernel parameters (sysctls).
	SystemControls []SystemControl `json:"systemControls,omitempty"`
	// ResourceRequirements reserve GPUs or inference accelerators.
	ResourceRequirements []ResourceRequirement `json:"resourceRequirements,omitempty"`
	// FirelensConfiguration makes this container the task's FireLens log router.
	FirelensConfiguration *FirelensConfiguration `json:"firelensConfiguration,omitempty"`
	// CredentialSpecs are Active Directory credential spec locations (gMSA).
	CredentialSpecs []string `json:"credentialSpecs,omitempty"`
}

// RepositoryCredentials names the Secrets Manager secret with registry credentials.
type RepositoryCredentials struct {
	// CredentialsParameter is the secret's ARN or name (required).
	CredentialsParameter string `json:"credentialsParameter"`
}

// PortMapping is one exposed container port or port range.
type PortMapping struct {
	// ContainerPort is the port inside the container; absent when ContainerPortRange is set.
	ContainerPort *int `json:"containerPort,omitempty"`
	// HostPort is the host port; 0 or absent means an ephemeral port in bridge mode.
	HostPort *int `json:"hostPort,omitempty"`
	// Protocol is "tcp" or "udp"; empty means absent (tcp).
	Protocol string `json:"protocol,omitempty"`
	// Name names the mapping for Service Connect.
	Name *string `json:"name,omitempty"`
	// AppProtocol is "http", "http2" or "grpc" (Service Connect); empty means absent.
	AppProtocol string `json:"appProtocol,omitempty"`
	// ContainerPortRange is a range like "8000-8010" (awsvpc and Fargate).
	ContainerPortRange *string `json:"containerPortRange,omitempty"`
}

// RestartPolicy is the container restart policy.
type RestartPolicy struct {
	// Enabled turns the restart policy on (required).
	Enabled bool `json:"enabled"`
	// IgnoredExitCodes are exit codes that do not trigger a restart.
	IgnoredExitCodes []int `json:"ignoredExitCodes,omitempty"`
	// RestartAttemptPeriod is how many seconds a container must run before a restart is attempted.
	RestartAttemptPeriod *int `json:"restartAttemptPeriod,omitempty"`
}

// KeyValuePair is a name/value pair (environment variables, proxy properties).
type KeyValuePair struct {
	// Name is the variable or property name.
	Name *string `json:"name,omitempty"`
	// Value is its value.
	Value *string `json:"value,omitempty"`
}

// EnvironmentFile is an S3 object holding environment variables.
type EnvironmentFile struct {
	// Value is the S3 object ARN (required).
	Value string `json:"value"`
	// Type is the file type; ECS accepts only "s3" (required).
	Type string `json:"type"`
}

// MountPoint mounts a task volume into a container.
type MountPoint struct {
	// SourceVolume names a volume of the task (required).
	SourceVolume string `json:"sourceVolume"`
	// ContainerPath is where the volume appears inside the container (required).
	ContainerPath string `json:"containerPath"`
	// ReadOnly mounts the volume read-only.
	ReadOnly *bool `json:"readOnly,omitempty"`
}

// VolumeFrom mounts all volumes of another container of the task.
type VolumeFrom struct {
	// SourceContainer names the container whose volumes are mounted (required).
	SourceContainer string `json:"sourceContainer"`
	// ReadOnly mounts them read-only.
	ReadOnly *bool `json:"readOnly,omitempty"`
}

// LinuxParameters are Linux-specific container settings.
type LinuxParameters struct {
	// Capabilities are the kernel capabilities added and dropped.
	Capabilities *KernelCapabilities `json:"capabilities,omitempty"`
	// Devices are host devices exposed to the container.
	Devices []Device `json:"devices,omitempty"`
	// InitProcessEnabled runs an init process (docker run --init).
	InitProcessEnabled *bool `json:"initProcessEnabled,omitempty"`
	// SharedMemorySize is the size of /dev/shm in MiB.
	SharedMemorySize *int `json:"sharedMemorySize,omitempty"`
	// Tmpfs are tmpfs mounts.
	Tmpfs []Tmpfs `json:"tmpfs,omitempty"`
	// MaxSwap is the swap the container may use, in MiB.
	MaxSwap *int `json:"maxSwap,omitempty"`
	// Swappiness is the container's swappiness, 0 to 100.
	Swappiness *int `json:"swappiness,omitempty"`
}

// KernelCapabilities are Linux capabilities to add and drop.
type KernelCapabilities struct {
	// Add are capabilities added to the default set.
	Add []string `json:"add,omitempty"`
	// Drop are capabilities removed from the default set.
	Drop []string `json:"drop,omitempty"`
}

// Device is a host device exposed to the container.
type Device struct {
	// HostPath is the device path on the host (required).
	HostPath string `json:"hostPath"`
	// ContainerPath is the device path inside the container.
	ContainerPath *string `json:"containerPath,omitempty"`
	// Permissions are "read", "write" and "mknod".
	Permissions []string `json:"permissions,omitempty"`
}

// Tmpfs is a tmpfs mount.
type Tmpfs struct {
	// ContainerPath is where the tmpfs is mounted (required).
	ContainerPath string `json:"containerPath"`
	// Size is its maximum size in MiB (required).
	Size int `json:"size"`
	// MountOptions are mount options such as "noexec".
	MountOptions []string `json:"mountOptions,omitempty"`
}

// Secret is an environment variable (or log option) read from SSM Parameter Store or Secrets Manager.
type Secret struct {
	// Name is the environment variable or log option name (required).
	Name string `json:"name"`
	// ValueFrom is the parameter or secret ARN or name (required).
	ValueFrom string `json:"valueFrom"`
}

// ContainerDependency makes a container wait for another container's state.
type ContainerDependency struct {
	// ContainerName is the container depended on (required).
	ContainerName string `json:"containerName"`
	// Condition is START, COMPLETE, SUCCESS or HEALTHY (required).
	Condition string `json:"condition"`
}

// HostEntry is an /etc/hosts entry.
type HostEntry struct {
	// Hostname is the host name (required).
	Hostname string `json:"hostname"`
	// IpAddress is the address it resolves to (required).
	IpAddress string `json:"ipAddress"`
}

// Ulimit is a resource limit.
type Ulimit struct {
	// Name is the limit's name, e.g. "nofile" (required).
	Name string `json:"name"`
	// SoftLimit is the soft limit (required).
	SoftLimit int `json:"softLimit"`
	// HardLimit is the hard limit (required).
	HardLimit int `json:"hardLimit"`
}

// LogConfiguration is a container's log driver configuration.
type LogConfiguration struct {
	// LogDriver is the Docker log driver, e.g. "fluentd", "awslogs", "awsfirelens" (required).
	LogDriver string `json:"logDriver"`
	// Options are the driver's options.
	Options map[string]string `json:"options,omitempty"`
	// SecretOptions are driver options read from SSM or Secrets Manager.
	SecretOptions []Secret `json:"secretOptions,omitempty"`
}

// HealthCheck is a container health check (times in seconds).
type HealthCheck struct {
	// Command is the check, e.g. ["CMD-SHELL", "curl -f http://localhost/"] (required).
	Command []string `json:"command"`
	// Interval is the time between checks (ECS default 30).
	Interval *int `json:"interval,omitempty"`
	// Timeout is how long a check may take (ECS default 5).
	Timeout *int `json:"timeout,omitempty"`
	// Retries is how many failures mark the container unhealthy (ECS default 3).
	Retries *int `json:"retries,omitempty"`
	// StartPeriod is the grace period before failures count (ECS default 0).
	StartPeriod *int `json:"startPeriod,omitempty"`
}

// SystemControl is a namespaced kernel parameter.
type SystemControl struct {
	// Namespace is the parameter, e.g. "net.core.somaxconn".
	Namespace *string `json:"namespace,omitempty"`
	// Value is its value.
	Value *string `json:"value,omitempty"`
}

// ResourceRequirement reserves a GPU, inference accelerator or Neuron device.
type ResourceRequirement struct {
	// Type is "GPU", "InferenceAccelerator" or "NeuronDevice" (required).
	Type string `json:"type"`
	// Value is the count (GPU) or accelerator device name (required).
	Value string `json:"value"`
	// SharingStrategy is how the resource is shared between containers.
	SharingStrategy *string `json:"sharingStrategy,omitempty"`
}

// FirelensConfiguration configures a FireLens log router container.
type FirelensConfiguration struct {
	// Type is "fluentd" or "fluentbit" (required).
	Type string `json:"type"`
	// Options are router options such as "config-file-type".
	Options map[string]string `json:"options,omitempty"`
}

// Volume is a data volume of the task. At most one of the configurations is
// set; none means an empty volume local to the task.
type Volume struct {
	// Name is the name mount points refer to (required).
	Name string `json:"name"`
	// Host is a bind mount of a host path (or, with no sourcePath, an empty volume).
	Host *HostVolumeProperties `json:"host,omitempty"`
	// DockerVolumeConfiguration is a Docker volume.
	DockerVolumeConfiguration *DockerVolumeConfiguration `json:"dockerVolumeConfiguration,omitempty"`
	// EfsVolumeConfiguration is an Amazon EFS file system.
	EfsVolumeConfiguration *EFSVolumeConfiguration `json:"efsVolumeConfiguration,omitempty"`
	// FsxWindowsFileServerVolumeConfiguration is an FSx for Windows File Server file system.
	FsxWindowsFileServerVolumeConfiguration *FSxWindowsFileServerVolumeConfiguration `json:"fsxWindowsFileServerVolumeConfiguration,omitempty"`
	// S3filesVolumeConfiguration is an Amazon S3 Files file system.
	S3filesVolumeConfiguration *S3FilesVolumeConfiguration `json:"s3filesVolumeConfiguration,omitempty"`
	// ConfiguredAtLaunch says the volume is supplied when the task is launched (EBS).
	ConfiguredAtLaunch *bool `json:"configuredAtLaunch,omitempty"`
}

// HostVolumeProperties is a host bind mount.
type HostVolumeProperties struct {
	// SourcePath is the host path; absent means a Docker-managed empty directory.
	SourcePath *string `json:"sourcePath,omitempty"`
}

// DockerVolumeConfiguration is a Docker-managed volume.
type DockerVolumeConfiguration struct {
	// Scope is "task" (deleted with the task) or "shared" (kept); empty means absent (task).
	Scope string `json:"scope,omitempty"`
	// Autoprovision creates a shared volume when it does not exist.
	Autoprovision *bool `json:"autoprovision,omitempty"`
	// Driver is the volume driver (default "local").
	Driver *string `json:"driver,omitempty"`
	// DriverOpts are driver options.
	DriverOpts map[string]string `json:"driverOpts,omitempty"`
	// Labels are volume labels.
	Labels map[string]string `json:"labels,omitempty"`
}

// EFSVolumeConfiguration is an Amazon EFS volume.
type EFSVolumeConfiguration struct {
	// FileSystemId is the EFS file system ID (required).
	FileSystemId string `json:"fileSystemId"`
	// RootDirectory is the directory of the file system to mount.
	RootDirectory *string `json:"rootDirectory,omitempty"`
	// TransitEncryption is "ENABLED" or "DISABLED"; empty means absent.
	TransitEncryption string `json:"transitEncryption,omitempty"`
	// TransitEncryptionPort is the port used for encrypted traffic.
	TransitEncryptionPort *int `json:"transitEncryptionPort,omitempty"`
	// AuthorizationConfig selects an access point and IAM authorization.
	AuthorizationConfig *EFSAuthorizationConfig `json:"authorizationConfig,omitempty"`
}

// EFSAuthorizationConfig is the EFS access point and IAM setting.
type EFSAuthorizationConfig struct {
	// AccessPointId is the EFS access point ID.
	AccessPointId *string `json:"accessPointId,omitempty"`
	// Iam is "ENABLED" or "DISABLED"; empty means absent.
	Iam string `json:"iam,omitempty"`
}

// FSxWindowsFileServerVolumeConfiguration is an FSx for Windows File Server volume.
type FSxWindowsFileServerVolumeConfiguration struct {
	// FileSystemId is the FSx file system ID (required).
	FileSystemId string `json:"fileSystemId"`
	// RootDirectory is the directory to mount (required).
	RootDirectory string `json:"rootDirectory"`
	// AuthorizationConfig holds the domain credentials (required).
	AuthorizationConfig *FSxWindowsFileServerAuthorizationConfig `json:"authorizationConfig"`
}

// FSxWindowsFileServerAuthorizationConfig holds FSx domain credentials.
type FSxWindowsFileServerAuthorizationConfig struct {
	// CredentialsParameter is the secret or parameter ARN with the credentials (required).
	CredentialsParameter string `json:"credentialsParameter"`
	// Domain is the Active Directory domain (required).
	Domain string `json:"domain"`
}

// S3FilesVolumeConfiguration is an Amazon S3 Files volume.
type S3FilesVolumeConfiguration struct {
	// FileSystemArn is the S3 Files file system ARN (required).
	FileSystemArn string `json:"fileSystemArn"`
	// AccessPointArn is the access point ARN.
	AccessPointArn *string `json:"accessPointArn,omitempty"`
	// RootDirectory is the directory to mount.
	RootDirectory *string `json:"rootDirectory,omitempty"`
	// TransitEncryptionPort is the port used for encrypted traffic.
	TransitEncryptionPort *int `json:"transitEncryptionPort,omitempty"`
}

// PlacementConstraint is a task placement constraint.
type PlacementConstraint struct {
	// Type is "memberOf"; empty means absent.
	Type string `json:"type,omitempty"`
	// Expression is a cluster query language expression.
	Expression *string `json:"expression,omitempty"`
}

// Tag is a resource tag.
type Tag struct {
	// Key is the tag key (required).
	Key string `json:"key"`
	// Value is the tag value.
	Value *string `json:"value,omitempty"`
}

// ProxyConfiguration is the App Mesh proxy configuration.
type ProxyConfiguration struct {
	// Type is "APPMESH"; empty means absent.
	Type string `json:"type,omitempty"`
	// ContainerName is the proxy container (required).
	ContainerName string `json:"containerName"`
	// Properties are the proxy's settings.
	Properties []KeyValuePair `json:"properties,omitempty"`
}

// InferenceAccelerator is an Elastic Inference accelerator.
type InferenceAccelerator struct {
	// DeviceName is the name containers refer to (required).
	DeviceName string `json:"deviceName"`
	// DeviceType is the accelerator type (required).
	DeviceType string `json:"deviceType"`
}

// EphemeralStorage is the Fargate ephemeral storage size.
type EphemeralStorage struct {
	// SizeInGiB is the size in GiB, 21 to 200 (required).
	SizeInGiB int `json:"sizeInGiB"`
}

// RuntimePlatform is the platform the task needs.
type RuntimePlatform struct {
	// CpuArchitecture is "X86_64" or "ARM64"; empty means absent.
	CpuArchitecture string `json:"cpuArchitecture,omitempty"`
	// OperatingSystemFamily is "LINUX" or a Windows Server family; empty means absent.
	OperatingSystemFamily string `json:"operatingSystemFamily,omitempty"`
}

// TrustedExecutionConfiguration selects how the task is isolated.
type TrustedExecutionConfiguration struct {
	// IsolationMode is "SHARED", "ISOLATED_SANDBOX" or "CONFIDENTIAL_SANDBOX"; empty means absent.
	IsolationMode string `json:"isolationMode,omitempty"`
	// AttestationPolicy is the attestation policy for confidential sandboxes.
	AttestationPolicy *string `json:"attestationPolicy,omitempty"`
}

// Attribute is a container instance attribute a task requires (describe output).
type Attribute struct {
	// Name is the attribute name (required).
	Name string `json:"name"`
	// Value is the attribute value.
	Value *string `json:"value,omitempty"`
	// TargetType is "container-instance"; empty means absent.
	TargetType string `json:"targetType,omitempty"`
	// TargetId is the target's ID or ARN.
	TargetId *string `json:"targetId,omitempty"`
}
