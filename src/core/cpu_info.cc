// Copyright onnxedge authors.
// How many CPUs this process may really use: the scheduler affinity mask, further limited by a
// cgroup CPU quota (containers often allow fewer CPUs than the machine has).
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core/cpu_info.h"
#include "onnxedge/session.h"

namespace onnxedge {

namespace {

int AffinityCpuCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

}  // namespace

int CgroupCpuLimit(const std::string& cgroup_root) {
  // cgroup v2: "<quota> <period>" or "max <period>".
  {
    std::ifstream f(cgroup_root + "/cpu.max");
    std::string quota;
    long long period = 0;
    if (f >> quota >> period) {
      if (quota != "max" && period > 0) {
        long long q = std::atoll(quota.c_str());
        if (q > 0) return std::max(1, static_cast<int>(std::ceil(static_cast<double>(q) / period)));
      }
      return 0;
    }
  }
  // cgroup v1.
  std::ifstream fq(cgroup_root + "/cpu/cpu.cfs_quota_us");
  std::ifstream fp(cgroup_root + "/cpu/cpu.cfs_period_us");
  long long q = 0, p = 0;
  if ((fq >> q) && (fp >> p) && q > 0 && p > 0) {
    return std::max(1, static_cast<int>(std::ceil(static_cast<double>(q) / p)));
  }
  return 0;
}

int AvailableCpuCount() {
  int n = AffinityCpuCount();
  int quota = CgroupCpuLimit("/sys/fs/cgroup");
  if (quota > 0) n = std::min(n, quota);
  return std::max(1, n);
}

}  // namespace onnxedge
