#!/usr/bin/env python3
"""tools/check_readme.py: compiles every ```cpp block of README.md and of the pages in docs/, and runs the ones that
need no server, so the documentation cannot drift from the code. It also checks that every code fence is well formed
and that every relative link (a page, a heading's anchor) lands.

    tools/check_readme.py [--cxx g++] [-- extra compiler flags]

Each block becomes part of one generated translation unit: its #include lines are hoisted to the
top; a block that defines functions (a complete program's main() is renamed) goes in a namespace
of its own; a fragment of statements is compiled inside a function that declares the names the
README's fragments use (client, req, call, opts, on_chunk, bytes). The fragments preceded by the
line `<!-- check_readme: run -->` are also built into a program and run, with assertions on:
their assert()s are the claims the README makes.
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

PRELUDE = """\
    [[maybe_unused]] mistral::client_options opts;
    [[maybe_unused]] mistral::client client{opts};
    [[maybe_unused]] mistral::chat_request req{.model = "m", .messages = {mistral::user("hi")}};
    [[maybe_unused]] mistral::call_options call;
    [[maybe_unused]] auto on_chunk = [](const mistral::chat_chunk&) {};
    [[maybe_unused]] std::string_view bytes;
"""


RUN_MARK = "<!-- check_readme: run -->"


PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def blocks(text):
    """(code, runnable) for every ```cpp block."""
    return [(m.group(2), m.group(1) is not None)
            for m in re.finditer(r"^(" + re.escape(RUN_MARK) + r"\n)?```cpp\n(.*?)^```", text, re.S | re.M)]


def fence_problems(page, text):
    """Fences that a Markdown renderer would read otherwise than meant: a fence line with text after it, or one left
    open at the end of the page."""
    problems, inside = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if "```" not in line:
            continue
        if not re.fullmatch(r"```[\w+-]*", line) or (inside and line != "```"):
            problems.append(f"{page.name}:{number}: malformed code fence: {line!r}")
        inside = not inside
    if inside:
        problems.append(f"{page.name}: a code fence is never closed")
    return problems


def anchors(text):
    """The anchors GitHub gives the headings of a page."""
    seen, out = {}, set()
    inside = False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
        m = re.match(r"^#{1,6} (.*)", line)
        if inside or not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def link_problems(page, text):
    """Relative links whose page or heading does not exist."""
    problems = []
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            problems.append(f"{page.name}: link to a missing file: {target}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text()):
            problems.append(f"{page.name}: link to a missing heading: {target}")
    return problems


def translation_unit(code_blocks, runnable_only=False):
    includes = ["#include <mistral/mistral.hpp>", "#include <mistral/testing.hpp>", "#include <cassert>",
                "#include <iostream>", "#include <string>", "#include <string_view>", "#include <vector>"]
    bodies = []
    runs = []
    for n, (block, runnable) in enumerate(code_blocks):
        if runnable_only and not runnable:
            continue
        lines = []
        for line in block.splitlines():
            if line.startswith("#include"):
                # src.hpp belongs to separate-compilation builds (tests/test_separate_compilation).
                if line not in includes and "mistral/src.hpp" not in line:
                    includes.append(line)
            else:
                lines.append(line)
        code = "\n".join(lines)
        # "type name(parameters) {" at the start of a line: a function definition.
        defines_functions = re.search(r"^[A-Za-z_][\w:<>,&*]*(\s+[\w:<>,&*]+)+\s*\([^;{}]*\)\s*(const\s*)?\{$", code,
                                      re.M)
        if re.search(r"\bint main\(", code) or defines_functions:
            if runnable:
                sys.exit(f"check_readme: block {n} defines functions; only fragments can be run")
            code = re.sub(r"\bint main\(", f"int readme_main_{n}(", code)
            bodies.append(f"// block {n}\nnamespace readme_block_{n} {{\n{code}\n}}\n")
        else:
            bodies.append(f"// README block {n}\n[[maybe_unused]] static void readme_block_{n}() {{\n"
                          f"{PRELUDE}    {{\n{code}\n    }}\n}}\n")
            if runnable:
                runs.append(n)
    main = ""
    if runnable_only:
        calls = "".join(f'    std::cout << "README block {n}\\n";\n    readme_block_{n}();\n' for n in runs)
        main = f"int main() {{\n{calls}    return 0;\n}}\n"
    return "\n".join(includes) + "\n\n" + "\n".join(bodies) + "\n" + main, len(runs)


def main():
    args = sys.argv[1:]
    cxx = "c++"
    if "--cxx" in args:
        cxx = args[args.index("--cxx") + 1]
    extra = args[args.index("--") + 1:] if "--" in args else []
    found, problems = [], []
    for page in PAGES:
        text = page.read_text()
        found += blocks(text)
        problems += fence_problems(page, text) + link_problems(page, text)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    if not found:
        sys.exit("check_readme: no ```cpp blocks in README.md")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "cpp-httplib"], capture_output=True,
                           text=True).stdout.split()
    with tempfile.TemporaryDirectory() as tmp:
        for runnable_only in (False, True):
            name = "readme_runnable" if runnable_only else "readme_blocks"
            source = pathlib.Path(tmp) / f"{name}.cpp"
            output = pathlib.Path(tmp) / name
            code, runnable = translation_unit(found, runnable_only)
            source.write_text(code)
            command = [cxx, "-std=c++20", str(source), "-o", str(output),
                       "-Wno-return-type",  # a renamed main() has no implicit return 0
                       "-UNDEBUG", "-I", str(ROOT / "include")] + flags + extra
            command += ["-lboost_json", "-lssl", "-lcrypto", "-pthread"] if runnable_only else ["-c"]
            result = subprocess.run(command)
            if result.returncode != 0:
                print(f"check_readme: the README's C++ blocks do not compile (generated {source.name}):",
                      file=sys.stderr)
                for number, line in enumerate(source.read_text().splitlines(), 1):
                    print(f"{number:4} {line}", file=sys.stderr)
                return 1
        # The runnable fragments never reach the network: they run without an API key.
        env = {k: v for k, v in os.environ.items() if k != "MISTRAL_API_KEY"}
        result = subprocess.run([str(output)], env=env)
        if result.returncode != 0:
            print(f"check_readme: a README block failed when run (exit {result.returncode})", file=sys.stderr)
            return 1
    print(f"check_readme: {len(found)} C++ blocks of README.md and docs/ compile; {runnable} of them ran and held;"
          f" fences and links of {len(PAGES)} pages hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
