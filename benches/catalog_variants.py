"""Writes a catalog of N hunting rules made from real ones, for the shared-scan curve.

The first pass copies the source rules unchanged; each later pass writes every rule again
with other needles (each quoted string in its query gets a suffix, `'atera.com'` becoming
`'atera.com-v2'`), a new id and a new name: rules of the same shapes and tables that look
for other tools, as a SOC's growing catalog does.

    python3 benches/catalog_variants.py --source ../shared/corpus/rmm-tools/rules \
        --count 1000 --out /tmp/rules-1000
"""

from __future__ import annotations

import argparse
import re
import uuid
from pathlib import Path

QUOTED = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")


def vary_query(query: str, variant: int) -> str:
    """The query with every quoted string given the variant's suffix."""

    def suffixed(m: re.Match[str]) -> str:
        quote = m.group(0)[0]
        text = m.group(1) if m.group(1) is not None else m.group(2)
        return f"{quote}{text}-v{variant}{quote}"

    return QUOTED.sub(suffixed, query)


def vary_rule(text: str, variant: int) -> str:
    """A rule file's text with a new id and name and the query's needles varied."""
    out: list[str] = []
    in_query = False
    query_indent = 0
    for line in text.splitlines():
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if in_query and stripped and indent <= query_indent:
            in_query = False
        if in_query:
            out.append(vary_query(line, variant))
        elif stripped.startswith("id:") and indent == 0:
            out.append(f"id: {uuid.uuid5(uuid.NAMESPACE_URL, f'{stripped}/{variant}')}")
        elif stripped.startswith("name:") and indent == 0:
            out.append(f"{line} (variant {variant})")
        else:
            out.append(line)
        if stripped.startswith("query:") and indent == 0:
            in_query, query_indent = True, indent
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        type=Path,
        action="append",
        required=True,
        help="a folder of rule YAML",
    )
    parser.add_argument(
        "--count", type=int, required=True, help="how many rules to write"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="the folder to write them to (created)"
    )
    args = parser.parse_args()
    sources = sorted(p for d in args.source for p in d.glob("*.yaml"))
    if not sources:
        parser.error("no *.yaml rules in the source folders")
    args.out.mkdir(parents=True, exist_ok=True)
    for i in range(args.count):
        variant, source = divmod(i, len(sources))
        path = sources[source]
        text = path.read_text(encoding="utf-8")
        if variant > 0:
            text = vary_rule(text, variant + 1)
        (args.out / f"{i:05d}-{path.name}").write_text(text, encoding="utf-8")
    print(f"{args.count} rules from {len(sources)} in {args.out}")


if __name__ == "__main__":
    main()
