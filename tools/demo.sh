#!/usr/bin/env bash
# tools/demo.sh: the quick start: builds the streaming example and runs it. With MISTRAL_API_KEY set it asks
# api.mistral.ai; without it, it starts the bundled fake server and asks that, so you see
# tokens stream without an account. Any other example runs the same way:
#   tools/demo.sh ["your question"]              # examples/stream_chat
#   tools/demo.sh EXAMPLE [ARGS...]              # e.g. tools/demo.sh tool_calling --stream
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh demo
cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DMISTRAL_BUILD_TESTS=OFF \
    -DMISTRAL_BUILD_BENCHMARKS=OFF -DMISTRAL_INSTALL=OFF >/dev/null
example=stream_chat
if [ $# -gt 0 ] && [ -f "examples/$1.cpp" ]; then
    example=$1
    shift
fi
cmake --build build-demo --target "$example" mistral-fake-server

# local_server speaks the OpenAI-compatible dialect: to the fake server in that mode, or to the
# server at MISTRAL_BASE_URL.
server_mode=--demo-hint
if [ "$example" = local_server ]; then
    server_mode=--openai-compatible
    [ -n "${MISTRAL_BASE_URL:-}" ] && exec "build-demo/examples/$example" "$@"
elif [ -n "${MISTRAL_API_KEY:-}" ]; then
    exec "build-demo/examples/$example" "$@"
fi

log=$(mktemp)
build-demo/tests/support/mistral-fake-server --port 0 --token-delay-ms 60 "$server_mode" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do
    grep -q "listening on" "$log" && break
    sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$log")
[ -n "$url" ] || { cat "$log"; exit 1; }
MISTRAL_BASE_URL=$url "build-demo/examples/$example" "$@"
