#!/usr/bin/env bash
# tools/install-deps.sh: installs what mistral-cpp needs on Debian 12 (as root, or through sudo).
#   tools/install-deps.sh demo   # building the library and the examples
#   tools/install-deps.sh test   # ... plus the test suite, sanitizers, fuzzers, Meson, benchmarks
set -euo pipefail

purpose=${1:-test}
packages=(g++ cmake ninja-build pkg-config libboost-json1.81-dev libcpp-httplib-dev libssl-dev)
if [ "$purpose" = test ]; then
    # libboost-dev must not be added: Debian's default Boost 1.74 conflicts with 1.81.
    packages+=(catch2 clang clang-format libclang-rt-14-dev meson libbenchmark-dev python3 git doxygen)
    # The other platforms of the suite: clang with libc++, MinGW-w64 run under Wine.
    packages+=(libc++-14-dev libc++abi-14-dev g++-mingw-w64-x86-64-posix wine64)
    command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "Installing: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
