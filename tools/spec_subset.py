#!/usr/bin/env python3
"""tools/spec_subset.py: adds paths of the official OpenAPI specification to the subset the tests load
(tests/spec/mistral-openapi-chat-subset.yaml), with every schema they reference, transitively.
The subset's own paths and schemas are left as they are.

    tools/spec_subset.py FULL_SPEC.yaml PATH [PATH ...]
    e.g. tools/spec_subset.py ../shared/reference/mistral-openapi.yaml /v1/embeddings /v1/models
"""
import pathlib
import sys

import yaml

SUBSET = pathlib.Path(__file__).resolve().parent.parent / "tests" / "spec" / "mistral-openapi-chat-subset.yaml"


def refs(node):
    """Every '#/components/schemas/X' name referenced anywhere under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
                yield value.rsplit("/", 1)[1]
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    full = yaml.safe_load(pathlib.Path(sys.argv[1]).read_text())
    subset = yaml.safe_load(SUBSET.read_text())
    schemas = subset["components"]["schemas"]
    pending = []
    for path in sys.argv[2:]:
        if path not in full["paths"]:
            sys.exit(f"spec_subset: {path} is not a path of {sys.argv[1]}")
        subset["paths"][path] = full["paths"][path]
        pending.extend(refs(full["paths"][path]))
    while pending:
        name = pending.pop()
        if name in schemas:
            continue
        schemas[name] = full["components"]["schemas"][name]
        pending.extend(refs(schemas[name]))
    SUBSET.write_text(yaml.safe_dump(subset, sort_keys=False, allow_unicode=True, width=200))


if __name__ == "__main__":
    main()
