#!/usr/bin/env python3
"""benchmarks/concurrency_compare.py: N chat streams open at once, two ways, side by side in one run.

A loopback server (benchmarks/many_streams_server, one thread) answers every request with a stream
of 20 chunks, one every 50 ms, as a model would; the client opens N such streams at once and checks
every one to the last token:

  asio_client, one thread      benchmarks/many_streams asio N: every stream on one io_context
  stream_async, thread per call benchmarks/many_streams threads N: the blocking client's async call

Prints, for each N and each way, the streams that came back right, the threads the client process
peaked at, its CPU seconds (user + system), wall seconds and peak RSS, and the ratios. Run from a
release build:

  cmake --preset release && cmake --build --preset release --target many_streams many_streams_server
  python3 benchmarks/concurrency_compare.py --build build/release --streams 500,2000 [--svg chart.svg]

The thread-per-call way needs N threads: keep N within `ulimit -u` and the memory for their stacks.
"""
import argparse
import json
import pathlib
import resource
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
WAYS = {"asio": "asio_client, one thread", "threads": "stream_async, thread per call"}


def run(binary, way, streams, url):
    """One run of the client: its JSON line (right, threads, cpu_s, wall_s, peak_rss_mib)."""
    done = subprocess.run([str(binary), way, str(streams), url], capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        sys.exit(f"many_streams {way} {streams} failed: {done.stdout.strip()} {done.stderr.strip()}")
    return json.loads(done.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/release", help="CMake build directory with the benchmarks")
    ap.add_argument("--streams", default="500,2000", help="comma-separated counts of streams open at once")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--svg", metavar="PATH", help="also draw the CPU and memory chart there (needs matplotlib)")
    args = ap.parse_args()
    build = pathlib.Path(args.build) / "benchmarks"
    counts = [int(n) for n in args.streams.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server and the client inherit it

    server = subprocess.Popen([str(build / "many_streams_server")], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip().split()[-1]
        results = {}
        for n in counts:
            for _ in range(args.rounds):
                for way in WAYS:  # alternate, so drift hits both alike
                    results.setdefault((n, way), []).append(run(build / "many_streams", way, n, url))
    finally:
        server.kill()

    def med(n, way, key):
        return statistics.median(r[key] for r in results[(n, way)])

    print(f"N streams of 20 chunks, one chunk every 50 ms; median of {args.rounds} rounds")
    print("| streams | client | right | threads | CPU s | wall s | peak RSS MiB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in counts:
        for way, name in WAYS.items():
            right = min(r["right"] for r in results[(n, way)])
            print(f"| {n:,} | {name} | {right:,} | {med(n, way, 'threads'):.0f} | {med(n, way, 'cpu_s'):.2f} | "
                  f"{med(n, way, 'wall_s'):.2f} | {med(n, way, 'peak_rss_mib'):.1f} |")
    for n in counts:
        cpu = med(n, "asio", "cpu_s") / med(n, "threads", "cpu_s")
        rss = med(n, "asio", "peak_rss_mib") / med(n, "threads", "peak_rss_mib")
        print(f"{n:,} streams: asio_client uses {cpu:.2f}x the CPU and {rss:.2f}x the memory of a thread per call")
    if args.svg:
        sys.path.insert(0, str(HERE))
        import charts
        n = counts[-1]
        charts.bars(args.svg, f"{n:,} chat streams open at once over loopback (median of {args.rounds} rounds)",
                    [("client CPU (user + system)", "s", {WAYS[w]: med(n, w, "cpu_s") for w in WAYS}),
                     ("peak memory (RSS)", "MiB", {WAYS[w]: med(n, w, "peak_rss_mib") for w in WAYS})],
                    f"python3 benchmarks/concurrency_compare.py --streams {args.streams} --rounds {args.rounds}"
                    " --svg ...  |  " + charts.machine(),
                    ours=lambda label: label.startswith("asio_client"))


if __name__ == "__main__":
    main()
