#!/usr/bin/env bash
# The quick start: builds the streaming example and runs it. With MISTRAL_API_KEY set it asks
# api.mistral.ai; without it, it starts the bundled fake server and asks that, so you see
# tokens stream without an account.
#   tools/demo.sh ["your question"]
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh demo
cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DMISTRAL_BUILD_TESTS=OFF \
    -DMISTRAL_BUILD_BENCHMARKS=OFF -DMISTRAL_INSTALL=OFF >/dev/null
cmake --build build-demo --target stream_chat mistral-fake-server

if [ -n "${MISTRAL_API_KEY:-}" ]; then
    exec build-demo/examples/stream_chat "$@"
fi

log=$(mktemp)
build-demo/tests/support/mistral-fake-server --port 0 --token-delay-ms 60 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
    grep -q "listening on" "$log" && break
    sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$log")
[ -n "$url" ] || { cat "$log"; exit 1; }
MISTRAL_BASE_URL=$url build-demo/examples/stream_chat "$@"
