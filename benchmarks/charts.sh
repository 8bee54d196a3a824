#!/usr/bin/env bash
# benchmarks/charts.sh: regenerates the README's two charts, docs/charts/e2e.svg and docs/charts/compile_time.svg, on
# this machine: the release build of the streaming clients, 100,000 chunks beside the official TypeScript SDK, the openai
# package and curl; and the compile cost of each mode beside the direct program. Needs python3-matplotlib
# (Debian's, for /usr/bin/python3) and Node for the peers. Takes a few minutes; run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
python=/usr/bin/python3
"$python" -c "import matplotlib" 2>/dev/null || { echo "apt-get install python3-matplotlib" >&2; exit 1; }
cmake --preset release >/dev/null
cmake --build --preset release --target sse_server stream_consumer
(cd benchmarks/peers && npm ci --no-audit --no-fund --loglevel=error)
"$python" benchmarks/e2e_compare.py --build build/release --chunks 100000 --rounds 5 --svg docs/charts/e2e.svg
"$python" benchmarks/compile_time.py --runs 5 --svg docs/charts/compile_time.svg
