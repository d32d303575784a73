// Copyright onnxedge authors.
#pragma once

#include <string>

namespace onnxedge {

/// CPUs allowed by the cgroup CPU quota under `cgroup_root` (v2 cpu.max or v1
/// cpu/cpu.cfs_quota_us), rounded up; 0 when there is no quota. Exposed for tests.
int CgroupCpuLimit(const std::string& cgroup_root);

/// The tightest cgroup CPU quota of this process's own cgroups: `proc_self_cgroup` is the text of
/// /proc/self/cgroup ("0::/a/b" for v2, "4:cpu,cpuacct:/a/b" for v1). Every level from the
/// process's cgroup up to `cgroup_root` is checked (a parent's quota bounds its children), as is
/// the root itself (inside a container the listed path may not exist in the container's view).
/// 0 when no level has a quota. Exposed for tests.
int CgroupCpuLimit(const std::string& cgroup_root, const std::string& proc_self_cgroup);

}  // namespace onnxedge
