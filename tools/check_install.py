#!/usr/bin/env python3
"""tools/check_install.py: runs every route of README.md's Installation section exactly as printed.

    tools/check_install.py [--keep DIR] [ROUTE ...]

The README marks the blocks of each route:

    <!-- install: ROUTE file PATH -->   the next code block is the file PATH of the route's folder
                                        (ROUTE "*": of every route's folder)
    <!-- install: ROUTE run -->         the next ```sh block is run there by bash -euo pipefail

Each route gets a folder of its own in a scratch directory, holding what the README says the
reader has: this repository as ./mistral-cpp (and as ./third_party/mistral-cpp and
./subprojects/mistral-cpp, where the subdirectory and Meson routes expect it) and the files the
README shows. HOME is a scratch folder shared by the routes, in README order (the pkg-config
route uses what the CMake install route installed there). Nothing reaches the network: git
fetches the FetchContent snippet's https URL from this repository (url.<here>.insteadOf), so the
pinned commit must be in its history. `sudo` is dropped from commands when running as root, and
the prerequisites block is not marked (tools/install-deps.sh installs them).
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
UPSTREAM = "https://github.com/mistral-cpp/mistral-cpp"
MARK = re.compile(r"^<!-- install: (\S+) (file (\S+)|run) -->\n```(\w+)\n(.*?)^```", re.S | re.M)


def routes(readme):
    """{route: [(kind, path, text)]} in README order; '*' files go to every route."""
    section = readme[readme.index("## Installation\n"):]
    section = section[:section.index("\n## ", 1)]
    common, order = [], {}
    for m in MARK.finditer(section):
        route, kind, path, _lang, text = m.group(1), m.group(2).split()[0], m.group(3), m.group(4), m.group(5)
        if route == "*":
            common.append(("file", path, text))
        else:
            order.setdefault(route, []).append((kind, path, text))
    return {name: common + steps for name, steps in order.items()}


def main():
    args = sys.argv[1:]
    keep = None
    if args[:1] == ["--keep"]:
        keep, args = pathlib.Path(args[1]), args[2:]
    all_routes = routes((ROOT / "README.md").read_text())
    if not all_routes:
        sys.exit("check_install: no marked route in README.md's Installation section")
    wanted = args or list(all_routes)
    scratch = keep or pathlib.Path(tempfile.mkdtemp(prefix="mistral-install-"))
    if scratch.exists():
        shutil.rmtree(scratch)
    home = scratch / "home"
    home.mkdir(parents=True)
    env = dict(os.environ, HOME=str(home), GIT_CONFIG_COUNT="1",
               GIT_CONFIG_KEY_0=f"url.{ROOT.as_uri()}.insteadOf", GIT_CONFIG_VALUE_0=UPSTREAM,
               GIT_TERMINAL_PROMPT="0")
    for name in ("MISTRAL_API_KEY", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        env.pop(name, None)
    failed = []
    for name in wanted:
        if name not in all_routes:
            sys.exit(f"check_install: no route {name!r} (routes: {', '.join(all_routes)})")
        folder = scratch / name
        for link in ("mistral-cpp", "third_party/mistral-cpp", "subprojects/mistral-cpp"):
            (folder / link).parent.mkdir(parents=True, exist_ok=True)
            (folder / link).symlink_to(ROOT, target_is_directory=True)
        print(f"== {name}", flush=True)
        for kind, path, text in all_routes[name]:
            if kind == "file":
                (folder / path).write_text(text)
                continue
            script = text if os.geteuid() != 0 else re.sub(r"^sudo ", "", text, flags=re.M)
            print(re.sub(r"^", "$ ", script.rstrip(), flags=re.M), flush=True)
            run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if run.returncode != 0:
                print(run.stdout)
                print(f"check_install: route {name} failed (exit {run.returncode})", flush=True)
                failed.append(name)
                break
            print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "", flush=True)
    if keep is None:
        shutil.rmtree(scratch, ignore_errors=True)
    if failed:
        sys.exit("check_install: failed routes: " + ", ".join(failed))
    print(f"check_install: {len(wanted)} installation routes of README.md ran as printed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
