#!/usr/bin/env bash
# tools/test.sh: the whole test suite, exactly as CI runs it (.ci/run calls this and nothing else). Installs
# what it needs (apt, npm), then runs every stage below; any failure stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==== %s (%s)\n' "$*" "$(date +%T)"; }

stage "dependencies"
tools/install-deps.sh test
(cd tests/spec && npm ci --no-audit --no-fund --loglevel=error)
export MISTRAL_REQUIRE_PRISM=1   # the specification check must run, not be skipped

stage "formatting (.clang-format) and the generated single header"
git ls-files '*.hpp' '*.cpp' ':!single_include' | xargs clang-format --dry-run --Werror
tools/amalgamate.py --check

stage "API reference: Doxygen over the public headers, every warning an error"
doxygen docs/Doxyfile

stage "g++: build with warnings as errors, run every test and every packaging route"
cmake --preset dev
cmake --build --preset dev
ctest --preset dev

stage "secrets: the test API keys appear nowhere in the test output"
if grep -l -e "sk-loopback-SECRET" -e "sk-TOPSECRET" -e "pw-SECRET" -e "gw-SECRET" build/dev/Testing/Temporary/LastTest*.log; then
    echo "an API key used by the tests was printed" >&2
    exit 1
fi

stage "clang: the same tests against the single header (mistral-batch: the ASan build, also clang)"
cmake --preset clang
cmake --build --preset clang
ctest --preset clang

# The fake server of the g++ build, on a free port, for the programs of the other platforms:
# sets fake_url and fake_pid.
start_fake_server() {
    local log
    log=$(mktemp)
    build/dev/tests/support/mistral-fake-server --port 0 >"$log" 2>&1 &
    fake_pid=$!
    for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
    fake_url=$(sed -n 's/^listening on //p' "$log")
}

stage "clang + libc++ 14 (the library's own <stop_token>): the mock-transport tests, the Asio client"
cmake -S tests/platforms -B build/libcxx -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS=-stdlib=libc++ >/dev/null
cmake --build build/libcxx
ctest --test-dir build/libcxx --output-on-failure
start_fake_server
build/libcxx/asio_smoke "$fake_url"
kill "$fake_pid"

stage "MinGW-w64 (Windows), run under Wine: the mock-transport tests, the Asio client"
cmake -S tests/platforms -B build/mingw -G Ninja -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64.cmake" \
    >/dev/null
cmake --build build/mingw
WINEDEBUG=-all ctest --test-dir build/mingw --output-on-failure
start_fake_server
WINEDEBUG=-all "$(command -v wine64 || echo /usr/lib/wine/wine64)" build/mingw/asio_smoke.exe "$fake_url"
kill "$fake_pid"

stage "AddressSanitizer + UndefinedBehaviorSanitizer: every test"
cmake --preset asan
cmake --build --preset asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan

stage "ThreadSanitizer: the loopback tests (concurrency, cancellation, faults), async calls, usage"
cmake --preset tsan
cmake --build --preset tsan --target test_faults test_races test_stop_token test_asio test_integration test_hardening test_async test_usage test_pull_stream test_resume
# The random-cancellation stress runs half a minute here (a few seconds in the other builds).
MISTRAL_STRESS_SECONDS=30 TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" \
    ctest --preset tsan -R "test_faults|test_races|test_stop_token|test_asio|test_integration|test_hardening|test_async|test_usage|test_pull_stream|test_resume"

stage "release build (-O3, warnings as errors): each benchmark runs briefly (a smoke test, not a measurement)"
# Optimisation enables warnings the Debug build never sees, so the benchmarks are built as published.
cmake --preset release
cmake --build --preset release --target bench_sse bench_client bench_reuse bench_request_memory sse_server \
    stream_consumer many_streams many_streams_server mistral-batch mistral-fake-server
for bench in build/release/benchmarks/bench_{sse,client,reuse}; do
    "$bench" --benchmark_min_time=0.01 >/dev/null
done
build/release/benchmarks/bench_request_memory 20
(cd benchmarks/peers && npm ci --no-audit --no-fund --loglevel=error)
python3 benchmarks/e2e_compare.py --build build/release --chunks 2000 --rounds 1
python3 benchmarks/concurrency_compare.py --build build/release --streams 50 --rounds 1
python3 benchmarks/batch_runner.py --build build/release --lines 2000 --rps 200 --rps-lines 400

stage "fuzzing: each target for a bounded time from its seed corpus"
cmake --preset fuzz
cmake --build --preset fuzz
# A fuzzer uses one core: two run side by side, each for its full time. A failing one prints its
# whole log (the crash and the input that caused it) and fails the stage.
fuzz_one() {
    local name work log
    name=$(basename "$1")
    work=$(mktemp -d)
    log=$(mktemp)
    if build/fuzz/fuzz/${name}_fuzzer -max_total_time="${MISTRAL_FUZZ_SECONDS:-30}" "$work" "$1" >"$log" 2>&1; then
        printf -- '-- %s_fuzzer\n%s\n' "$name" "$(tail -1 "$log")"
    else
        printf -- '-- %s_fuzzer FAILED\n' "$name"
        cat "$log"
        return 1
    fi
    rm -rf "$work" "$log"
}
export -f fuzz_one
export MISTRAL_FUZZ_SECONDS
printf '%s\0' fuzz/corpus/*/ | xargs -0 -P 2 -I{} bash -c 'fuzz_one "$1"' _ {}

stage "Meson: build and run the same tests"
# Without debug information: these are the g++ stage's tests, built a second way; -g would cost a
# fifth of the build.
meson setup --wrap-mode=nodownload -Ddebug=false --reconfigure build/meson . >/dev/null \
    || meson setup --wrap-mode=nodownload -Ddebug=false build/meson .
meson test -C build/meson --print-errorlogs

stage "all stages passed"
