// Copyright onnxedge authors.
// How many CPUs this process may really use: the scheduler affinity mask, further limited by a
// cgroup CPU quota (containers often allow fewer CPUs than the machine has).
#include <errno.h>
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
  // Grow the mask until the kernel accepts its size (machines with more than 1024 CPUs).
  for (int cpus = 1024; cpus <= (1 << 16); cpus *= 2) {
    cpu_set_t* set = CPU_ALLOC(cpus);
    if (!set) break;
    const size_t size = CPU_ALLOC_SIZE(cpus);
    CPU_ZERO_S(size, set);
    const int rc = sched_getaffinity(0, size, set);
    const int n = rc == 0 ? CPU_COUNT_S(size, set) : 0;
    CPU_FREE(set);
    if (rc == 0) {
      if (n > 0) return n;
      break;
    }
    if (errno != EINVAL) break;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

// Quota of one cgroup folder (v2 cpu.max or v1 cpu.cfs_quota_us / cpu.cfs_period_us), in CPUs
// rounded up; 0 when unlimited or unreadable.
int FolderQuota(const std::string& dir) {
  {
    std::ifstream f(dir + "/cpu.max");
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
  std::ifstream fq(dir + "/cpu.cfs_quota_us");
  std::ifstream fp(dir + "/cpu.cfs_period_us");
  long long q = 0, p = 0;
  if ((fq >> q) && (fp >> p) && q > 0 && p > 0) {
    return std::max(1, static_cast<int>(std::ceil(static_cast<double>(q) / p)));
  }
  return 0;
}

// Smallest positive quota of `base + path` and each of its parents down to `base`.
int WalkUp(const std::string& base, std::string path) {
  int best = 0;
  for (;;) {
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path.find("..") != std::string::npos) break;  // Never leave the cgroup mount.
    const int q = FolderQuota(base + path);
    if (q > 0 && (best == 0 || q < best)) best = q;
    if (path.empty()) break;
    const size_t slash = path.rfind('/');
    path = slash == std::string::npos ? std::string() : path.substr(0, slash);
  }
  return best;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
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

int CgroupCpuLimit(const std::string& cgroup_root, const std::string& proc_self_cgroup) {
  int best = CgroupCpuLimit(cgroup_root);
  auto take = [&](int q) {
    if (q > 0 && (best == 0 || q < best)) best = q;
  };
  std::istringstream lines(proc_self_cgroup);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (path.empty() || path[0] != '/') continue;
    if (controllers.empty()) {  // cgroup v2 (unified), mounted at the root or at root/unified.
      take(WalkUp(cgroup_root, path));
      take(WalkUp(cgroup_root + "/unified", path));
      continue;
    }
    bool has_cpu = false;
    std::istringstream list(controllers);
    std::string c;
    while (std::getline(list, c, ',')) has_cpu |= c == "cpu";
    if (!has_cpu) continue;
    const std::string mounts[] = {"/cpu", "/cpu,cpuacct", "/cpuacct,cpu", "/" + controllers};
    for (const std::string& mount : mounts) {
      take(WalkUp(cgroup_root + mount, path));
    }
  }
  return best;
}

int AvailableCpuCount() {
  int n = AffinityCpuCount();
  int quota = CgroupCpuLimit("/sys/fs/cgroup", ReadFile("/proc/self/cgroup"));
  if (quota > 0) n = std::min(n, quota);
  return std::max(1, n);
}

}  // namespace onnxedge
