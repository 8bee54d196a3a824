#!/usr/bin/env bash
# benchmarks/charts.sh: regenerates the three charts of docs/performance.md (e2e.svg,
# compile_time.svg, concurrency.svg in docs/charts/) on this machine: the release build of the streaming clients, 100,000
# chunks beside the official TypeScript SDK, the openai package and curl; the compile cost of each mode beside the direct
# program; and 500 and 2,000 concurrent streams on asio_client's one thread beside a thread per call. Needs python3-matplotlib
# (Debian's, for /usr/bin/python3) and Node for the peers. Takes a few minutes; run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
python=/usr/bin/python3
"$python" -c "import matplotlib" 2>/dev/null || { echo "apt-get install python3-matplotlib" >&2; exit 1; }
cmake --preset release >/dev/null
cmake --build --preset release --target sse_server stream_consumer many_streams many_streams_server
(cd benchmarks/peers && npm ci --no-audit --no-fund --loglevel=error)
"$python" benchmarks/e2e_compare.py --build build/release --chunks 100000 --rounds 5 --svg docs/charts/e2e.svg
"$python" benchmarks/compile_time.py --runs 5 --svg docs/charts/compile_time.svg
"$python" benchmarks/concurrency_compare.py --build build/release --streams 500,2000 --rounds 3 --svg docs/charts/concurrency.svg
