#!/usr/bin/env python3
"""benchmarks/e2e_compare.py: end-to-end streaming benchmark: one loopback server streams N chat.completion.chunk events as
fast as the socket takes them, and four clients consume the same stream in turn, several rounds:

  mistral-cpp       benchmarks/stream_consumer (the default transport), folding the text into its
                    result as stream() does by default, and with accumulate=false (the text
                    consumed in the callback only, as the SDK clients below do)
  Mistral TS SDK    npm @mistralai/mistralai on Node (benchmarks/peers)
  openai npm SDK    npm openai on Node, pointed at the same server
  curl              curl -sN ... -o /dev/null: the floor, parses nothing

Prints the median client CPU seconds (user + system), wall seconds and peak RSS of each, and
the ratios to mistral-cpp. Run from a release build:

  cmake --preset release && cmake --build --preset release --target sse_server stream_consumer
  python3 benchmarks/e2e_compare.py --build build/release --chunks 100000 --rounds 5 [--svg chart.svg]

--also NAME=BINARY adds another build of stream_consumer, e.g. one compiled against a newer
cpp-httplib than the system's (see the README's Performance section).
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent


def run_child(command):
    """Runs a client; returns its CPU seconds (user + system), wall seconds, peak RSS in MiB and output."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: run the client with its output in a pipe-less file
        out = os.open(os.devnull if command[0] == "curl" else "/tmp/e2e-client.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execvp(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed")
    output = "" if command[0] == "curl" else pathlib.Path("/tmp/e2e-client.out").read_text()
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, output


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build/release", help="CMake build directory with the benchmarks")
    ap.add_argument("--chunks", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only-ours", action="store_true", help="skip the Node and curl clients")
    ap.add_argument("--svg", metavar="PATH", help="also draw the CPU and memory chart there (needs matplotlib)")
    ap.add_argument("--also", action="append", default=[], metavar="NAME=BINARY",
                    help="another build of stream_consumer to compare (e.g. against a newer cpp-httplib)")
    args = ap.parse_args()

    build = pathlib.Path(args.build).resolve()
    server_bin = build / "benchmarks" / "sse_server"
    ours = build / "benchmarks" / "stream_consumer"
    for binary in (server_bin, ours):
        if not binary.exists():
            sys.exit(f"{binary} is missing: cmake --build {args.build} --target sse_server stream_consumer")
    clients = {"mistral-cpp": lambda url: [str(ours), url],
               "mistral-cpp, accumulate=false": lambda url: [str(ours), url, "--no-accumulate"]}
    for also in args.also:
        name, _, binary = also.partition("=")
        clients[name] = lambda url, binary=binary: [binary, url]
        clients[name + ", accumulate=false"] = lambda url, binary=binary: [binary, url, "--no-accumulate"]
    if not args.only_ours:
        peers = HERE / "peers"
        if not (peers / "node_modules").exists():
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=peers, check=True)
        clients["Mistral TS SDK"] = lambda url: ["node", str(peers / "mistral_sdk.mjs"), url]
        clients["openai npm SDK"] = lambda url: ["node", str(peers / "openai_sdk.mjs"), url]
        if shutil.which("curl"):
            clients["curl (floor)"] = lambda url: [
                "curl", "-sN", "-X", "POST", url + "/v1/chat/completions", "-H", "Content-Type: application/json",
                "-H", "Authorization: Bearer benchmark", "-d",
                '{"model":"mistral-small-latest","messages":[{"role":"user","content":"Hi"}],"stream":true}',
                "-o", "/dev/null"]

    server = subprocess.Popen([str(server_bin), "--chunks", str(args.chunks)], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip().split()[-1]
        results = {name: [] for name in clients}
        for _ in range(args.rounds):
            for name, command in clients.items():  # alternate, so drift hits every client alike
                cpu, wall, rss, output = run_child(command(url))
                if name != "curl (floor)" and not output.startswith(f"{args.chunks} chunks"):
                    sys.exit(f"{name} received {output.strip()!r}, expected {args.chunks} chunks")
                results[name].append((cpu, wall, rss))
    finally:
        server.kill()

    def med(name, i):
        return statistics.median(r[i] for r in results[name])

    base = "mistral-cpp"
    print(f"{args.chunks} chunks, median of {args.rounds} rounds")
    print("| client | CPU s | wall s | peak RSS MiB | CPU vs mistral-cpp | wall vs mistral-cpp | RSS vs mistral-cpp |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in results:
        cpu, wall, rss = med(name, 0), med(name, 1), med(name, 2)
        print(f"| {name} | {cpu:.3f} | {wall:.3f} | {rss:.1f} | {cpu / med(base, 0):.1f}x | "
              f"{wall / med(base, 1):.2f}x | {rss / med(base, 2):.1f}x |")
    print(f"mistral-cpp: {1e6 * med(base, 0) / args.chunks:.2f} us of CPU per chunk")
    if args.svg:
        import charts
        charts.bars(args.svg, f"Streaming {args.chunks:,} chunks over loopback (median of {args.rounds} rounds)",
                    [("client CPU (user + system)", "s", {n: med(n, 0) for n in results}),
                     ("peak memory (RSS)", "MiB", {n: med(n, 2) for n in results})],
                    f"python3 benchmarks/e2e_compare.py --chunks {args.chunks} --rounds {args.rounds} --svg ...  |  "
                    + charts.machine())


if __name__ == "__main__":
    main()
