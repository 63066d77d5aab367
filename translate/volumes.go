package translate

import (
	"cmp"
	"path"
	"regexp"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/devenv-sh/devenv/config"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

var unsafeVolumeChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]`)

// volumeName is the project volume for a task volume: task volumes are
// scoped to their family so two tasks' "data" volumes stay apart. The
// separator is '.', which neither a family nor a volume name may hold, so
// family a_b's volume c and family a's volume b_c stay apart too.
func volumeName(family, name string) string {
	return unsafeVolumeChars.ReplaceAllString(family, "_") + "." + unsafeVolumeChars.ReplaceAllString(name, "_")
}

// convertMountPoints maps each mount point through its task volume:
// host.sourcePath → a bind of the folder mapped in devenv.yaml or of
// .devenv/volumes/<family>/<name>; an empty volume (no host, or host without
// sourcePath) → a task-scoped named volume; dockerVolumeConfiguration → a
// named volume (shared scope keeps the production name); EFS, FSx, S3 Files
// and EBS (configuredAtLaunch) → a local named volume, reported.
// linuxParameters.tmpfs mounts are added as tmpfs volumes.
func (tk *task) convertMountPoints(c *taskdef.ContainerDefinition, p fieldpath.Path) []types.ServiceVolumeConfig {
	var out []types.ServiceVolumeConfig
	for i, mp := range c.MountPoints {
		mpp := p.Next("mountPoints").Index(i)
		v := tk.vols[mp.SourceVolume]
		if !strings.HasPrefix(mp.ContainerPath, "/") {
			tk.t.fail(tk.def.File, mpp.Next("containerPath"), fieldpath.Invalidf("%q is not an absolute path", mp.ContainerPath))
			continue
		}
		vc := tk.volume(c, mpp, v)
		vc.Target = mp.ContainerPath
		vc.ReadOnly = derefBool(mp.ReadOnly)
		out = append(out, vc)
	}
	if lp := c.LinuxParameters; lp != nil {
		for i, t := range lp.Tmpfs {
			if !strings.HasPrefix(t.ContainerPath, "/") {
				tk.t.fail(tk.def.File, p.Next("linuxParameters").Next("tmpfs").Index(i).Next("containerPath"), fieldpath.Invalidf("%q is not an absolute path", t.ContainerPath))
				continue
			}
			size := t.Size
			out = append(out, types.ServiceVolumeConfig{Type: types.VolumeTypeTmpfs, Target: t.ContainerPath, Tmpfs: &types.ServiceVolumeTmpfs{Size: mib(&size)}})
		}
	}
	return out
}

func (tk *task) volume(c *taskdef.ContainerDefinition, mpp fieldpath.Path, v *taskdef.Volume) types.ServiceVolumeConfig {
	named := func(name string, cfg types.VolumeConfig) types.ServiceVolumeConfig {
		if tk.t.volumes == nil {
			tk.t.volumes = types.Volumes{}
		}
		tk.t.volumes[name] = cfg
		return types.ServiceVolumeConfig{Type: types.VolumeTypeVolume, Source: name}
	}
	task := volumeName(tk.td.Family, v.Name)
	src := "volumes[" + v.Name + "]"
	prodPath := ""
	if v.Host != nil {
		prodPath = deref(v.Host.SourcePath)
	}
	if local, mapped := tk.t.local.Volume(v.Name, prodPath); mapped {
		// A folder mapped in devenv.yaml stands in for a volume of any kind.
		key := v.Name
		if _, byName := tk.t.local.Volumes[v.Name]; !byName {
			key = prodPath
		}
		tk.t.use("volumes", key)
		local = bindSource(local)
		why := "mapped to a local folder under volumes in " + tk.t.local.File
		if prodPath != "" {
			why = "host folders of production instances do not exist here; mapped in " + tk.t.local.File
		}
		if local != prodPath {
			tk.deviate(c, mpp.Next("sourceVolume"), Rewritten, src+" "+volumeKind(v), local, why)
		}
		return types.ServiceVolumeConfig{Type: types.VolumeTypeBind, Source: local}
	}
	switch {
	case prodPath != "":
		local := bindSource(path.Join(config.DefaultVolumesDir, tk.td.Family, v.Name))
		tk.deviate(c, mpp.Next("sourceVolume"), Rewritten, src+" host "+prodPath, local, "a folder under "+config.DefaultVolumesDir+" stands in for the production host path and survives devenv down/up; map it under volumes in "+tk.t.local.File+" to choose another")
		return types.ServiceVolumeConfig{Type: types.VolumeTypeBind, Source: local}
	case v.DockerVolumeConfiguration != nil:
		dv := v.DockerVolumeConfiguration
		cfg := types.VolumeConfig{DriverOpts: types.Options(tk.redactVolume(v, "driverOpts", dv.DriverOpts)), Labels: types.Labels(tk.redactVolume(v, "labels", dv.Labels))}
		name := task
		if dv.Scope == "shared" {
			cfg.Name = v.Name // shared volumes keep their name across tasks and projects
			name = unsafeVolumeChars.ReplaceAllString(v.Name, "_")
			if dv.Autoprovision != nil && !*dv.Autoprovision {
				// ECS expects the volume to exist already; so does Compose.
				tk.deviate(c, mpp.Next("sourceVolume"), Rewritten, src+" shared, autoprovision false", "external volume "+v.Name, "ECS uses an existing volume and creates none; Compose does the same with an external volume: create it first with docker volume create "+v.Name)
				return named(name, types.VolumeConfig{Name: v.Name, External: true})
			}
		}
		if d := deref(dv.Driver); d != "" && d != "local" {
			tk.deviate(c, mpp.Next("sourceVolume"), Unsupported, src+" driver "+d, "local", "volume plugins of production hosts are not installed here; a local volume stands in")
			cfg.DriverOpts = nil
		}
		return named(name, cfg)
	case v.EfsVolumeConfiguration != nil:
		ev := v.EfsVolumeConfiguration
		key := "efs_" + ev.FileSystemId
		prod := src + " EFS " + ev.FileSystemId
		if ac := ev.AuthorizationConfig; ac != nil && deref(ac.AccessPointId) != "" {
			key += "_" + *ac.AccessPointId
			prod += " access point " + *ac.AccessPointId
		}
		if root := deref(ev.RootDirectory); root != "" && root != "/" {
			key += "_" + strings.Trim(root, "/")
			prod += " " + root
		}
		name := unsafeVolumeChars.ReplaceAllString(key, "_")
		tk.deviate(c, mpp.Next("sourceVolume"), Rewritten, prod, "volume "+name, "EFS is not reachable locally; a named volume keyed by the file system (and access point, root directory) stands in, shared by every task that mounts it, empty at first")
		if ev.TransitEncryption == "ENABLED" || ev.TransitEncryptionPort != nil {
			tk.deviate(c, mpp.Next("sourceVolume"), Dropped, src+" transitEncryption "+cmp.Or(ev.TransitEncryption, "port "+itoa(derefInt(ev.TransitEncryptionPort))), "", "a local volume has no network transport to encrypt")
		}
		if ac := ev.AuthorizationConfig; ac != nil && ac.Iam == "ENABLED" {
			tk.deviate(c, mpp.Next("sourceVolume"), Dropped, src+" authorizationConfig.iam ENABLED", "", "no IAM authorization locally: every container that mounts the volume can use it")
		}
		return named(name, types.VolumeConfig{})
	case v.FsxWindowsFileServerVolumeConfiguration != nil:
		fv := v.FsxWindowsFileServerVolumeConfiguration
		name := unsafeVolumeChars.ReplaceAllString("fsx_"+fv.FileSystemId, "_")
		tk.deviate(c, mpp.Next("sourceVolume"), Rewritten, src+" FSx "+fv.FileSystemId, "volume "+name, "FSx is not reachable locally; a named volume keyed by the file system stands in, empty at first")
		if fv.RootDirectory != "" {
			tk.deviate(c, mpp.Next("sourceVolume"), Dropped, src+" rootDirectory "+fv.RootDirectory, "", "the stand-in volume is the whole file system: Windows file shares do not exist on Linux hosts")
		}
		if fv.AuthorizationConfig != nil {
			tk.deviate(c, mpp.Next("sourceVolume"), Dropped, src+" authorizationConfig (a credentials secret and an AD domain)", "", "the credentials are never fetched: the stand-in volume needs none")
		}
		return named(name, types.VolumeConfig{})
	case v.S3filesVolumeConfiguration != nil:
		sv := v.S3filesVolumeConfiguration
		tk.deviate(c, mpp.Next("sourceVolume"), Rewritten, src+" S3 Files "+sv.FileSystemArn, "volume "+task, "S3 Files is not reachable locally; a named volume stands in, empty at first")
		if sv.AccessPointArn != nil {
			tk.deviate(c, mpp.Next("sourceVolume"), Dropped, src+" accessPointArn "+*sv.AccessPointArn, "", "the task-scoped stand-in volume has no access points")
		}
		if sv.RootDirectory != nil {
			tk.deviate(c, mpp.Next("sourceVolume"), Dropped, src+" rootDirectory "+*sv.RootDirectory, "", "the stand-in volume is mounted whole, empty at first")
		}
		if sv.TransitEncryptionPort != nil {
			tk.deviate(c, mpp.Next("sourceVolume"), Dropped, src+" transitEncryptionPort "+itoa(*sv.TransitEncryptionPort), "", "a local volume has no network transport to encrypt")
		}
		return named(task, types.VolumeConfig{})
	case derefBool(v.ConfiguredAtLaunch):
		tk.deviate(c, mpp.Next("sourceVolume"), Rewritten, src+" configured at launch (EBS)", "volume "+task, "the EBS volume is attached at launch in production; a named volume stands in, empty at first")
		return named(task, types.VolumeConfig{})
	default:
		// An empty task volume: Docker-managed, shared by the task's containers.
		return named(task, types.VolumeConfig{})
	}
}

func derefInt(v *int) int {
	if v == nil {
		return 0
	}
	return *v
}

// bindSource makes a devenv.yaml folder a Compose bind source: relative
// paths are relative to the project ("./"), which Compose needs to tell
// them from volume names.
func bindSource(local string) string {
	if !strings.HasPrefix(local, "/") && !strings.HasPrefix(local, "./") && !strings.HasPrefix(local, "../") {
		return "./" + local
	}
	return local
}

// volumeKind describes a task volume as production has it, for the report.
func volumeKind(v *taskdef.Volume) string {
	switch {
	case v.Host != nil && deref(v.Host.SourcePath) != "":
		return "host " + *v.Host.SourcePath
	case v.DockerVolumeConfiguration != nil:
		return "Docker volume (driver " + cmp.Or(deref(v.DockerVolumeConfiguration.Driver), "local") + ")"
	case v.EfsVolumeConfiguration != nil:
		return "EFS " + v.EfsVolumeConfiguration.FileSystemId
	case v.FsxWindowsFileServerVolumeConfiguration != nil:
		return "FSx " + v.FsxWindowsFileServerVolumeConfiguration.FileSystemId
	case v.S3filesVolumeConfiguration != nil:
		return "S3 Files " + v.S3filesVolumeConfiguration.FileSystemArn
	case derefBool(v.ConfiguredAtLaunch):
		return "configured at launch (EBS)"
	}
	return "empty (Docker-managed)"
}
