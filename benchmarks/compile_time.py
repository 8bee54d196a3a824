#!/usr/bin/env python3
"""What including mistral-cpp costs a translation unit, against the same program written directly
against cpp-httplib and Boost.JSON. Each TU makes one chat call and prints the answer:

  full     #include <mistral/mistral.hpp>, mistral::client (the default transport)
  core     #include <mistral/core.hpp>, basic_client<any_transport> with the transport made in
           another TU: what every TU but one includes in a large program
  direct   httplib.h + boost/json.hpp, request and response handled by hand

`full` and `core` are also compiled with -DMISTRAL_SEPARATE_COMPILATION (the engine and the
codecs compiled once, in the file that includes <mistral/src.hpp>). Times
`g++ -std=c++20 -O2 -c` (CPU seconds of the compiler, median of N runs):

  python3 benchmarks/compile_time.py [--runs 3] [--cxx g++]
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

PROGRAMS = {
    "full": r'''
#include <mistral/mistral.hpp>
#include <iostream>
int main() {
    mistral::client client;
    auto r = client.chat({.model = "mistral-small-latest", .messages = {mistral::user("Capital of France?")}, .temperature = 0.2});
    std::cout << r.choices.at(0).message.text() << "\n";
}
''',
    "core": r'''
#include <mistral/core.hpp>
#include <iostream>
// Defined in the one translation unit that includes <mistral/mistral.hpp>.
mistral::any_transport make_default_transport(const mistral::transport_options& options);
int main() {
    mistral::client_options options;
    mistral::basic_client<mistral::any_transport> client{options, make_default_transport(options.transport)};
    auto r = client.chat({.model = "mistral-small-latest", .messages = {mistral::user("Capital of France?")}, .temperature = 0.2});
    std::cout << r.choices.at(0).message.text() << "\n";
}
''',
    "direct": r'''
#include <httplib.h>
#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>
int main() {
    boost::json::object message{{"role", "user"}, {"content", "Capital of France?"}};
    boost::json::object body{{"model", "mistral-small-latest"}, {"messages", boost::json::array{message}}, {"temperature", 0.2}};
    httplib::Client cli("https://api.mistral.ai");
    const char* key = std::getenv("MISTRAL_API_KEY");
    auto res = cli.Post("/v1/chat/completions", {{"Authorization", std::string("Bearer ") + (key ? key : "")}},
                        boost::json::serialize(body), "application/json");
    if (!res || res->status != 200) return 1;
    auto reply = boost::json::parse(res->body);
    std::cout << reply.at("choices").at(0).at("message").at("content").as_string() << "\n";
}
''',
}


VARIANTS = [("full", []), ("core", []), ("full", ["-DMISTRAL_SEPARATE_COMPILATION"]),
            ("core", ["-DMISTRAL_SEPARATE_COMPILATION"]), ("direct", [])]


def compile_cpu_seconds(cxx, source, flags):
    pid = os.fork()
    if pid == 0:
        os.execvp(cxx, [cxx, "-std=c++20", "-O2", "-c", str(source), "-o", os.devnull,
                        "-I", str(ROOT / "include")] + flags)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{source.name} did not compile")
    return usage.ru_utime + usage.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cxx", default="g++")
    args = ap.parse_args()
    flags = subprocess.run(["pkg-config", "--cflags", "cpp-httplib"], capture_output=True, text=True,
                           check=True).stdout.split()
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, code in PROGRAMS.items():
            source = pathlib.Path(tmp) / f"{name}.cpp"
            source.write_text(code)
        for _ in range(args.runs):
            for name, extra in VARIANTS:  # alternate, so machine noise is shared
                label = name + (" (separate compilation)" if extra else "")
                times.setdefault(label, []).append(
                    compile_cpu_seconds(args.cxx, pathlib.Path(tmp) / f"{name}.cpp", flags + extra))
    median = {label: statistics.median(t) for label, t in times.items()}
    print(f"{args.cxx} -std=c++20 -O2 -c, CPU seconds, median of {args.runs}")
    print("| translation unit | seconds | vs direct |")
    print("|---|---:|---:|")
    for label, seconds in median.items():
        print(f"| {label} | {seconds:.2f} | {seconds / median['direct']:.2f}x |")


if __name__ == "__main__":
    main()
