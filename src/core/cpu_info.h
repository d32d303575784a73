// Copyright onnxedge authors.
#pragma once

#include <string>

namespace onnxedge {

/// CPUs allowed by the cgroup CPU quota under `cgroup_root` (v2 cpu.max or v1
/// cpu/cpu.cfs_quota_us), rounded up; 0 when there is no quota. Exposed for tests.
int CgroupCpuLimit(const std::string& cgroup_root);

}  // namespace onnxedge
