#!/usr/bin/env python3
"""benchmarks/batch_runner.py: mistral-batch run against a loopback server that answers like a model.

The fake server (tests/support, mistral-fake-server) answers every chat completion after 30 ms,
with as many threads as it needs; mistral-batch run sends N requests from a JSONL file and writes
the N answers in input order. Two measurements, side by side in one run:

  no limit     --in-flight F: requests per second end to end (input checked, answers written),
               and the runner's CPU per request (user + system, from the kernel's accounting)
  --rps R      the same against a server that answers 429 beyond R requests in one second:
               the rate reached as a share of R, and the 429s the server sent (0: it never
               exceeded the limit)

Run from a release build (the server runs on the same machine, so its CPU counts against the
runner's):

  cmake --preset release && cmake --build --preset release --target mistral-batch mistral-fake-server
  python3 benchmarks/batch_runner.py --build build/release --lines 20000 --in-flight 128 --rps 400
"""
import argparse
import json
import os
import pathlib
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_input(path, lines):
    with open(path, "w") as out:
        for i in range(lines):
            body = {"model": "mistral-small-latest",
                    "messages": [{"role": "user", "content": f"Question number {i}"}]}
            out.write(json.dumps({"custom_id": f"q{i}", "body": body}) + "\n")


def start_server(build, extra):
    port = free_port()
    server = subprocess.Popen([str(build / "tests/support/mistral-fake-server"), "--port", str(port),
                               "--latency-ms", "30", "--threads", "400", *extra],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    sys.exit("mistral-fake-server did not start")


def run(build, url, source, lines, flags):
    """One run: wall seconds, the runner's CPU seconds, its last progress line."""
    with tempfile.TemporaryDirectory() as work:
        output = pathlib.Path(work) / "out.jsonl"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        done = subprocess.run([str(build / "cli/mistral-batch"), "run", str(source), str(output),
                               *flags], capture_output=True, text=True,
                              env={**os.environ, "MISTRAL_API_KEY": "sk-bench", "MISTRAL_BASE_URL": url})
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            sys.exit(f"mistral-batch failed: {done.stderr.strip()}")
        written = output.read_text().count("\n")
        if written != lines:
            sys.exit(f"mistral-batch wrote {written} lines of {lines}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    progress = ([line for line in done.stderr.splitlines() if "HTTP requests" in line] or [""])[-1]
    return wall, cpu, progress


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", type=pathlib.Path, default=pathlib.Path("build/release"))
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--in-flight", type=int, default=128)
    parser.add_argument("--rps", type=int, default=400)
    parser.add_argument("--rps-lines", type=int, default=4000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        source = pathlib.Path(work) / "in.jsonl"
        write_input(source, args.lines)
        server, url = start_server(args.build, [])
        try:
            wall, cpu, _ = run(args.build, url, source, args.lines,
                               ["--in-flight", str(args.in_flight), "--quiet"])
        finally:
            server.terminate()
            server.wait()
        print(f"no limit, 30 ms per answer, --in-flight {args.in_flight}: {args.lines} lines in "
              f"{wall:.2f} s = {args.lines / wall:.0f} requests/s; runner CPU {cpu:.2f} s = "
              f"{cpu / args.lines * 1e6:.0f} us per request")

        limited = pathlib.Path(work) / "limited.jsonl"
        write_input(limited, args.rps_lines)
        server, url = start_server(args.build, ["--rate-limit", str(args.rps)])
        try:
            wall, cpu, progress = run(args.build, url, limited, args.rps_lines,
                                      ["--in-flight", str(args.in_flight), "--rps", str(args.rps)])
        finally:
            server.terminate()
            server.wait()
        throttled = int(re.search(r"(\d+) throttled", progress).group(1))
        requests = int(re.search(r"(\d+) HTTP requests", progress).group(1))
        rate = args.rps_lines / wall
        print(f"--rps {args.rps} against a server that refuses more than {args.rps}/s: "
              f"{args.rps_lines} lines in {wall:.2f} s = {rate:.0f} requests/s "
              f"({100 * rate / args.rps:.1f}% of the limit), {requests} HTTP requests, "
              f"{throttled} answered 429")


if __name__ == "__main__":
    main()
