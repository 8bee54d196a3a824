#!/usr/bin/env python3
"""benchmarks/sse_report.py: runs bench_sse and prints its figures as a table, with the ratios to the memchr ceiling and
the getline floor (the README's performance section is this output).

    python3 benchmarks/sse_report.py build-release/benchmarks/bench_sse [--repetitions N]
"""
import argparse
import json
import statistics
import subprocess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--min-time", default="0.2")
    args = ap.parse_args()
    out = subprocess.run(
        [args.binary, "--benchmark_format=json", f"--benchmark_repetitions={args.repetitions}",
         f"--benchmark_min_time={args.min_time}"],
        check=True, capture_output=True, text=True).stdout
    runs = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        runs.setdefault(b["run_name"], []).append(b)

    def median(name, key):
        return statistics.median(r[key] for r in runs[name])

    memchr = median("BM_memchr_line_ends/16384", "bytes_per_second")
    getline = median("BM_getline_parser/16384", "bytes_per_second")
    print(f"median of {args.repetitions} runs")
    print("| benchmark | MB/s | events/s | vs memchr | vs getline | allocs/event |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in runs:
        mbps = median(name, "bytes_per_second")
        events = median(name, "events/s")
        allocs = median(name, "allocs/event")
        print(f"| {name} | {mbps / 1e6:,.0f} | {events / 1e6:,.2f} M | {mbps / memchr:.0%} | "
              f"{mbps / getline:.1f}x | {allocs:.2f} |")


if __name__ == "__main__":
    main()
