# CMake toolchain for cross-compiling onnxedge to 64-bit ARM Linux with Debian's
# g++-aarch64-linux-gnu (scripts/build_arm.sh uses it; docs/arm.md explains the setup).
#
# Dependencies come from Debian's arm64 multiarch packages (libprotobuf-dev:arm64,
# libgtest-dev:arm64, libonnx1:arm64 under /usr/lib/aarch64-linux-gnu). libonnx-dev:arm64 cannot
# be co-installed with the amd64 one (both ship /usr/lib/libonnxifi.so), so scripts/arm_sysroot.sh
# unpacks it into a private folder; pass that folder as ONNXEDGE_ARM_SYSROOT (default:
# build-arm/sysroot next to this repository's sources). protoc and other programs stay amd64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Makes find_library/find_package look in <prefix>/lib/aarch64-linux-gnu (Debian multiarch), and
# never in the amd64 folders.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT DEFINED ONNXEDGE_ARM_SYSROOT)
  if(DEFINED ENV{ONNXEDGE_ARM_SYSROOT})
    set(ONNXEDGE_ARM_SYSROOT "$ENV{ONNXEDGE_ARM_SYSROOT}")
  else()
    get_filename_component(ONNXEDGE_ARM_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build-arm/sysroot"
                           ABSOLUTE)
  endif()
endif()
# try_compile projects re-read this file: hand the folder on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ONNXEDGE_ARM_SYSROOT)
set(ONNX_DIR "${ONNXEDGE_ARM_SYSROOT}/usr/lib/aarch64-linux-gnu/cmake/ONNX" CACHE PATH
    "ONNX CMake package of the arm64 libonnx-dev unpacked by scripts/arm_sysroot.sh")

# Programs (protoc) run on the build machine; libraries, headers and packages are looked up in
# the normal prefixes, where CMAKE_LIBRARY_ARCHITECTURE limits them to the aarch64 folders.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# ctest and add_test run aarch64 programs through qemu (qemu-user package).
find_program(ONNXEDGE_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(ONNXEDGE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${ONNXEDGE_QEMU_AARCH64}")
endif()
