#!/usr/bin/env python3
"""benchmarks/compile_time.py: what mistral-cpp costs a translation unit, against the same program written directly against
cpp-httplib and Boost.JSON. Each program makes one chat() call and one streamed call and prints
the answers:

  full     #include <mistral/mistral.hpp>, mistral::client (the default transport)
  core     #include <mistral/core.hpp>, basic_client<any_transport> with the transport made in
           another TU: what every TU but one includes in a large program
  direct   httplib.h + boost/json.hpp, the request built, the response and the SSE lines read
           by hand

`full` and `core` are also compiled with -DMISTRAL_SEPARATE_COMPILATION (what mistral::compiled
gives: the engine and the codecs compiled once, in the implementation TU, which is measured
too). The include-only lines are a TU that includes the headers and does nothing. Times
`g++ -std=c++20 -O2 -c` (CPU seconds of the compiler, median of N runs, variants alternating):

  python3 benchmarks/compile_time.py [--runs 3] [--cxx g++] [--svg chart.svg] [--only full,direct]

--parts measures instead where a header-only translation unit's seconds go: programs that each
include <mistral/mistral.hpp> and use one part of it, with the size of the code each compiles
(the .text of its object).

CPU seconds move by 10-20% from run to run on a shared VM. --instructions counts the compiler's
instructions instead, under valgrind's callgrind (once per variant, about 35 times slower):
the same count every run on one machine and toolchain, whatever else the machine is doing. It
undercounts memory stalls, so it complements the seconds rather than replacing them.
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
    const mistral::chat_request req{.model = "mistral-small-latest", .messages = {mistral::user("Capital of France?")}, .temperature = 0.2};
    std::cout << client.chat(req).text() << "\n";
    client.stream(req, [](const mistral::chat_chunk& c) { std::cout << c.text(); });
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
    const mistral::chat_request req{.model = "mistral-small-latest", .messages = {mistral::user("Capital of France?")}, .temperature = 0.2};
    std::cout << client.chat(req).text() << "\n";
    client.stream(req, [](const mistral::chat_chunk& c) { std::cout << c.text(); });
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
    const httplib::Headers headers{{"Authorization", std::string("Bearer ") + (key ? key : "")}};
    auto res = cli.Post("/v1/chat/completions", headers, boost::json::serialize(body), "application/json");
    if (!res || res->status != 200) return 1;
    auto reply = boost::json::parse(res->body);
    std::cout << reply.at("choices").at(0).at("message").at("content").as_string() << "\n";
    body["stream"] = true;
    std::string pending;
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/chat/completions";
    req.headers = headers;
    req.body = boost::json::serialize(body);
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
        pending.append(data, size);
        for (std::size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1)) {
            const std::string line = pending.substr(0, end);
            if (line.rfind("data: ", 0) != 0 || line == "data: [DONE]") continue;
            const auto chunk = boost::json::parse(line.substr(6));
            const auto& choices = chunk.at("choices").as_array();
            if (!choices.empty()) std::cout << choices[0].at("delta").at("content").as_string();
        }
        return true;
    };
    return cli.send(req) ? 0 : 1;
}
''',
    "implementation TU": "#include <mistral/src.hpp>\n",
    "include only: mistral.hpp": "#include <mistral/mistral.hpp>\nint main() {}\n",
    "include only: httplib.h + boost/json.hpp": "#include <httplib.h>\n#include <boost/json.hpp>\nint main() {}\n",
}

PART_MAIN = {
    "calls nothing": "int main() {}",
    "writes a chat_request to JSON (to_json)":
        'int main() { std::cout << mistral::to_json(mistral::chat_request{.model = "m", .messages = {mistral::user("x")}}); }',
    "reads a chat_response from JSON (from_json)":
        "int main(int, char** argv) { std::cout << mistral::from_json<mistral::chat_response>(argv[1]).text(); }",
    "calls chat()":
        'int main() { mistral::client c; std::cout << c.chat({.model = "m", .messages = {mistral::user("x")}}).text(); }',
    "calls stream()":
        'int main() { mistral::client c; c.stream({.model = "m", .messages = {mistral::user("x")}}, '
        '[](const mistral::chat_chunk& k) { std::cout << k.text(); }); }',
}
PROGRAMS.update({f"part: {name}": "#include <mistral/mistral.hpp>\n#include <iostream>\n" + body + "\n"
                 for name, body in PART_MAIN.items()})
PARTS = [(name, f"part: {name}", []) for name in PART_MAIN] + [("calls chat(), at -O0", "part: calls chat()", ["-O0"])]

SEPARATE = ["-DMISTRAL_SEPARATE_COMPILATION"]
# (short name for --only, program, extra flags)
VARIANTS = [("full", "full", []), ("separate", "full", SEPARATE), ("core", "core", SEPARATE),
            ("direct", "direct", []), ("implementation", "implementation TU", SEPARATE),
            ("include", "include only: mistral.hpp", []),
            ("include-direct", "include only: httplib.h + boost/json.hpp", [])]


def label_of(name, extra):
    if name.startswith("part: "):
        return name[len("part: "):] + (", at -O0" if extra else "")
    return name + (" (separate compilation)" if extra and name in ("full", "core") else "")


def compiler_command(cxx, source, flags, output=os.devnull):
    return [cxx, "-std=c++20", "-O2", "-c", str(source), "-o", str(output),
            "-I", str(ROOT / "include")] + flags


def text_kb(cxx, source, flags):
    """Size of the code the translation unit compiles: the .text of its object, in KB."""
    with tempfile.TemporaryDirectory() as out:
        obj = pathlib.Path(out) / "tu.o"
        subprocess.run(compiler_command(cxx, source, flags, obj), check=True)
        size = subprocess.run(["size", "-A", str(obj)], capture_output=True, text=True, check=True).stdout
        return sum(int(line.split()[1]) for line in size.splitlines()
                   if line.startswith(".text")) / 1000


def compile_cpu_seconds(cxx, source, flags):
    pid = os.fork()
    if pid == 0:
        os.execvp(cxx, compiler_command(cxx, source, flags))
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{source.read_text()[:200]}\ndid not compile")
    return usage.ru_utime + usage.ru_stime


def compile_instructions(cxx, source, flags):
    """Instructions of the compiler proper (cc1plus: the largest count among the driver's
    children), counted by callgrind."""
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                              f"--callgrind-out-file={out}/callgrind.%p"]
                             + compiler_command(cxx, source, flags), capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"{source.read_text()[:200]}\ndid not compile under valgrind:\n{run.stderr[-2000:]}")
        counts = [int(line.split()[-1].replace(",", "")) for line in run.stderr.splitlines()
                  if "Collected :" in line]
        return max(counts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cxx", default="g++")
    ap.add_argument("--svg", metavar="PATH", help="also draw the chart there (needs matplotlib)")
    ap.add_argument("--only", metavar="NAMES",
                    help="comma-separated variants: " + ", ".join(v[0] for v in VARIANTS))
    ap.add_argument("--instructions", action="store_true",
                    help="count the compiler's instructions with callgrind instead of timing it")
    ap.add_argument("--parts", action="store_true",
                    help="where a header-only translation unit's seconds go (see above)")
    args = ap.parse_args()
    variants = PARTS if args.parts else VARIANTS
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - {v[0] for v in VARIANTS}
        if unknown:
            sys.exit(f"unknown variants: {', '.join(sorted(unknown))}")
        variants = [v for v in VARIANTS if v[0] in wanted]
    flags = subprocess.run(["pkg-config", "--cflags", "cpp-httplib"], capture_output=True, text=True,
                           check=True).stdout.split()
    measure = compile_instructions if args.instructions else compile_cpu_seconds
    runs = 1 if args.instructions else args.runs
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sources = {}
        for i, (name, code) in enumerate(PROGRAMS.items()):
            sources[name] = pathlib.Path(tmp) / f"tu{i}.cpp"
            sources[name].write_text(code)
        for _ in range(runs):
            for _, name, extra in variants:  # alternate, so machine noise is shared
                results.setdefault(label_of(name, extra), []).append(
                    measure(args.cxx, sources[name], flags + extra))
        sizes = {label_of(name, extra): text_kb(args.cxx, sources[name], flags + extra)
                 for _, name, extra in variants} if args.parts else {}
    median = {label: statistics.median(r) for label, r in results.items()}
    if args.parts:
        print(f"{args.cxx} -std=c++20 -O2 -c, CPU seconds, median of {args.runs}; each program includes "
              "<mistral/mistral.hpp> (header-only) and")
        print("| the translation unit | seconds | .text KB |")
        print("|---|---:|---:|")
        for label, value in median.items():
            print(f"| {label} | {value:.2f} | {sizes[label]:.0f} |")
        return
    if args.instructions:
        print(f"{args.cxx} -std=c++20 -O2 -c, instructions of the compiler (callgrind)")
        print("| translation unit | instructions | vs direct |")
    else:
        print(f"{args.cxx} -std=c++20 -O2 -c, CPU seconds, median of {args.runs}")
        print("| translation unit | seconds | vs direct |")
    print("|---|---:|---:|")
    for label, value in median.items():
        shown = f"{value / 1e9:.2f} G" if args.instructions else f"{value:.2f}"
        ratio = f"{value / median['direct']:.2f}x" if "direct" in median else "-"
        print(f"| {label} | {shown} | {ratio} |")
    if args.svg:
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
        import charts
        unit = "instructions" if args.instructions else f"CPU seconds (median of {args.runs})"
        charts.bars(args.svg, "What a translation unit costs to compile, beside the direct program",
                    [(f"{args.cxx} -std=c++20 -O2 -c, {unit}", "G" if args.instructions else "s",
                      {k: v / 1e9 for k, v in median.items()} if args.instructions else median)],
                    "python3 benchmarks/compile_time.py "
                    + ("--instructions" if args.instructions else f"--runs {args.runs}")
                    + " --svg ...  |  " + charts.machine(),
                    ours=lambda label: "direct" not in label and "httplib.h" not in label)


if __name__ == "__main__":
    main()
