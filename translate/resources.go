package translate

import (
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devenv-sh/devenv/internal/fieldpath"
	"github.com/devenv-sh/devenv/taskdef"
)

func mib(v *int) types.UnitBytes {
	if v == nil || *v <= 0 {
		return 0
	}
	return types.UnitBytes(*v) * 1024 * 1024
}

// minMemoryMiB is the smallest memory limit or reservation Docker 20.10
// and later accept (ECS accepts 4 MiB, the minimum of older daemons).
const minMemoryMiB = 6

// convertMemory maps memory or memoryReservation (MiB) to bytes, raising
// a value Docker would refuse to its minimum, reported.
func (tk *task) convertMemory(c *taskdef.ContainerDefinition, p fieldpath.Path, v *int) types.UnitBytes {
	if v != nil && *v > 0 && *v < minMemoryMiB {
		tk.deviate(c, p, Rewritten, itoa(*v)+" MiB", itoa(minMemoryMiB)+" MiB", "Docker 20.10 and later refuse less than 6 MiB")
		m := minMemoryMiB
		return mib(&m)
	}
	return mib(v)
}

// convertMaxSwap maps maxSwap to memswap_limit, which Docker counts as
// memory plus swap, so it needs the container's hard memory limit.
func (tk *task) convertMaxSwap(c *taskdef.ContainerDefinition, p fieldpath.Path) types.UnitBytes {
	lp := c.LinuxParameters
	if lp == nil || lp.MaxSwap == nil {
		return 0
	}
	if c.Memory == nil || *c.Memory <= 0 {
		tk.deviate(c, p.Next("linuxParameters").Next("maxSwap"), Dropped, itoa(*lp.MaxSwap)+" MiB", "", "Docker's memswap_limit counts memory plus swap and needs a hard memory limit, which the container has not")
		return 0
	}
	return mib(c.Memory) + mib(lp.MaxSwap)
}

func (tk *task) convertCPU(c *taskdef.ContainerDefinition, p fieldpath.Path) int64 {
	if c.Cpu == nil || *c.Cpu <= 0 {
		return 0
	}
	if *c.Cpu < 2 {
		tk.deviate(c, p.Next("cpu"), Rewritten, itoa(*c.Cpu), "2", "Docker's minimum cpu_shares is 2")
		return 2
	}
	return int64(*c.Cpu)
}

func (tk *task) convertPlatform() string {
	rp := tk.td.RuntimePlatform
	if rp == nil {
		return ""
	}
	switch rp.CpuArchitecture {
	case "X86_64":
		return "linux/amd64"
	case "ARM64":
		return "linux/arm64"
	}
	return ""
}
