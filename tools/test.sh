#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this and nothing else). Installs
# what it needs (apt, npm), then builds with warnings as errors and runs every test under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==== %s\n' "$*"; }

stage "dependencies"
tools/install-deps.sh test
(cd tests/spec && npm ci --no-audit --no-fund --loglevel=error)
export MISTRAL_REQUIRE_PRISM=1   # the specification check must run, not be skipped

stage "g++: build and test"
cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMISTRAL_WARNINGS_AS_ERRORS=ON
cmake --build build-ci
ctest --test-dir build-ci --output-on-failure -j2

stage "all stages passed"
