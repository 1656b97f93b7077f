#!/usr/bin/env python3
"""Extracts each RMM hunting rule's filter into rmm_rules.json, the testdata crate's profile of
the catalog.

This is an independent reading of the rule text (a small tokenizer and recursive-descent
reader for the `where` clauses these rules use), deliberately not our Rust parser, so the
generator's ground truth does not share the engine's mistakes. Run it from the repository
root with ../shared beside it; review the diff of the JSON before committing.

    python3 testdata/data/extract_rules.py
"""
import json
import os
import re
import sys

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")
OUT = os.path.join(os.path.dirname(__file__), "rmm_rules.json")


def schema():
    """Table -> [columns] from shared/schema/mde-schema.md."""
    tables, current = {}, None
    for line in open(os.path.join(SHARED, "schema", "mde-schema.md"), encoding="utf-8"):
        m = re.match(r"^## (Device\w+)\s*$", line)
        if m:
            current = m.group(1)
            tables[current] = []
            continue
        m = re.match(r"^\| \d+ \| `(\w+)` \| `(\w+)` \|", line)
        if m and current:
            tables[current].append(m.group(1))
    return tables


def yaml_field(text, key):
    m = re.search(r"^%s:\s*(.*)$" % key, text, re.M)
    return m.group(1).strip().strip("'\"") if m else None


def yaml_query(text):
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if re.match(r"^\s*query:\s*[|>]", line):
            key_indent = len(line) - len(line.lstrip())
            body = []
            for l in lines[i + 1:]:
                if l.strip() and len(l) - len(l.lstrip()) <= key_indent:
                    break
                body.append(l)
            ind = min(len(l) - len(l.lstrip()) for l in body if l.strip())
            return "\n".join(l[ind:] for l in body).rstrip() + "\n"
    return None


def seed_query(text):
    start = text.index("KQL Query") + len("KQL Query")
    rest = text[start:]
    ends = [rest.find(m) for m in ("\nAnalytic Rule Definition", "\nid: ") if rest.find(m) >= 0]
    return rest[: min(ends) if ends else len(rest)].strip() + "\n"


TOKEN = re.compile(
    r"""\s+|//[^\n]*|(?P<str>@'[^']*'|@"[^"]*"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")"""
    r"""|(?P<op>=~|==|!=|\(|\)|,|\||;)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<other>\S)"""
)


def tokens(text):
    out = []
    for m in TOKEN.finditer(text):
        if m.group("str") is not None:
            s = m.group("str")
            if s.startswith("@"):
                out.append(("str", s[2:-1]))
            else:
                out.append(("str", re.sub(r"\\(.)", r"\1", s[1:-1])))
        elif m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("word"):
            out.append(("word", m.group("word")))
        elif m.group("other"):
            out.append(("op", m.group("other")))
    return out


class Reader:
    """Reads `a has 'x' and (b has_any ('y', 'z') or isempty(c))`."""

    def __init__(self, toks):
        self.t, self.i = toks, 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, kind=None, value=None):
        tok = self.peek()
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            raise ValueError("expected %s %s, got %s at %d" % (kind, value, tok, self.i))
        self.i += 1
        return tok

    def predicate(self):
        left = self.conj()
        parts = [left]
        while self.peek() == ("word", "or"):
            self.take()
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else {"or": parts}

    def conj(self):
        parts = [self.atom()]
        while self.peek() == ("word", "and"):
            self.take()
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else {"and": parts}

    def strings(self):
        self.take("op", "(")
        vals = [self.take("str")[1]]
        while self.peek() == ("op", ","):
            self.take()
            if self.peek() == ("op", ")"):
                raise ValueError("trailing comma")
            vals.append(self.take("str")[1])
        self.take("op", ")")
        return vals

    def atom(self):
        if self.peek() == ("op", "("):
            self.take()
            p = self.predicate()
            self.take("op", ")")
            return p
        _, word = self.take("word")
        if word == "isempty":
            self.take("op", "(")
            col = self.take("word")[1]
            self.take("op", ")")
            return {"isempty": col}
        col = word
        kind, op = self.take()
        if op == "has":
            return {"has": {"column": col, "needles": [self.take("str")[1]]}}
        if op == "has_any":
            return {"has": {"column": col, "needles": self.strings()}}
        if op == "startswith":
            return {"startswith": {"column": col, "prefix": self.take("str")[1]}}
        if op == "=~":
            return {"equals_ci": {"column": col, "value": self.take("str")[1]}}
        raise ValueError("unsupported operator %r" % op)


def read_rule(query):
    """(table, predicate, by, referenced columns) or raises ValueError for syntax problems."""
    stmts = [s for s in re.split(r";\s*\n", query) if s.strip()]
    main = stmts[-1]
    lets = stmts[:-1]
    # Strip comments for structure.
    body = re.sub(r"//[^\n]*", "", main)
    parts = [p.strip() for p in re.split(r"\n\s*\|", "\n" + body.strip())]
    table = parts[0].split()[0]
    where = [p for p in parts[1:] if p.startswith("where ")]
    others = [p for p in parts[1:] if not p.startswith("where ") and not p.startswith("summarize")]
    if any(not re.match(r"(extend|project|distinct)\b", p) for p in others):
        raise ValueError("not a tabular operator: %s" % others[0].split()[0])
    if not where or "between (Time_start..Time_end)" not in where[0]:
        raise ValueError("no time filter")
    summ = [p for p in parts if p.startswith("summarize")][0]
    by = [c.strip() for c in summ.split(" by ", 1)[1].replace("\n", " ").split(",")]
    return table, where, by, lets


def read_predicate(where):
    preds = []
    for w in where[1:]:
        r = Reader(tokens(w[len("where "):]))
        preds.append(r.predicate())
        if r.i != len(r.t):
            raise ValueError("unread tokens after predicate: %s" % (r.t[r.i:],))
    return preds[0] if len(preds) == 1 else {"and": preds}


def unknown_in_lets(lets, tables):
    """Columns a tabular `let` (`T | where ... | distinct Col`) uses that its table lacks."""
    out = []
    for l in lets:
        m = re.match(r"\s*let \w+ =\s*(Device\w+)(.*)$", re.sub(r"//[^\n]*", "", l), re.S)
        if not m:
            continue
        for col in re.findall(r"\|\s*distinct\s+(\w+)", m.group(2)):
            if col not in tables[m.group(1)]:
                out.append("unknown column %s in %s" % (col, m.group(1)))
    return out


def columns_of(pred, out):
    if "and" in pred or "or" in pred:
        for p in pred.get("and", pred.get("or")):
            columns_of(p, out)
    elif "isempty" in pred:
        out.add(pred["isempty"])
    else:
        out.add(list(pred.values())[0]["column"])
    return out


def main():
    tables = schema()
    rules = []
    sources = [("seeds", os.path.join(SHARED, "seeds"), ".txt")]
    sources += [("rmm-tools/rules", os.path.join(SHARED, "corpus", "rmm-tools", "rules"), ".yaml")]
    sources += [("sentinel-rmm", os.path.join(SHARED, "corpus", "sentinel-rmm"), ".yaml")]
    for label, folder, ext in sources:
        for f in sorted(os.listdir(folder)):
            if not f.endswith(ext):
                continue
            text = open(os.path.join(folder, f), encoding="utf-8").read()
            if ext == ".txt":
                query = seed_query(text)
                rid = re.search(r"^id: (\S+)", text, re.M).group(1)
                name = [l for l in text.splitlines() if l.startswith("name: ")][0][6:].strip()
            else:
                query = yaml_query(text)
                rid, name = yaml_field(text, "id"), yaml_field(text, "name")
            m = re.match(r"rmm_(.+)_(createproc|filesig|netconn)\.(yaml|txt)$", f)
            tool, kind = (m.group(1), m.group(2)) if m else (None, None)
            entry = {"file": "%s/%s" % (label, f), "id": rid, "name": name, "tool": tool, "kind": kind}
            try:
                table, where, by, lets = read_rule(query)
                entry.update({"table": table, "predicate": None, "by": by, "broken": None})
                problems = unknown_in_lets(lets, tables)
                unknown_by = sorted(c for c in by if c not in tables[table])
                if unknown_by:
                    problems.append("unknown column %s in %s" % (", ".join(unknown_by), table))
                if problems:
                    entry["broken"] = "; ".join(problems)
                else:
                    if lets and not all(re.match(r"let (Time_start|Time_end) = now", l.strip()) for l in lets):
                        raise ValueError("uses a let-bound table")
                    pred = read_predicate(where)
                    entry["predicate"] = pred
                    unknown = sorted(c for c in columns_of(pred, set()) if c not in tables[table])
                    if unknown:
                        entry["broken"] = "unknown column %s in %s" % (", ".join(unknown), table)
            except (ValueError, IndexError, KeyError) as e:
                entry.update({"predicate": None, "broken": "syntax error: %s" % e})
            if kind is None and "seeds" in label:
                tool = re.search(r"tool - (\w+) -", name).group(1)
                entry["tool"] = tool
                entry["kind"] = {"File Signature": "filesig", "Network Connection": "netconn", "Create Process": "createproc"}[name.rsplit(" - ", 1)[1]]
            rules.append(entry)
    # Tool domains from the network indicator list.
    domains = {}
    for line in open(os.path.join(SHARED, "corpus", "rmm-tools", "RMM_SummaryNetworkURI.csv"), encoding="utf-8").read().splitlines()[1:]:
        uri, tool = line.rsplit(",", 1)
        domains.setdefault(tool.strip(), []).append(uri.strip())
    # One rule per line, so a regenerated file reviews as a readable diff.
    compact = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    with open(OUT, "w", encoding="utf-8") as out:
        out.write('{"source":"../shared corpus, read by testdata/data/extract_rules.py",\n"rules":[\n')
        out.write(",\n".join(compact(r) for r in rules))
        out.write('\n],\n"domains":{\n')
        out.write(",\n".join("%s:%s" % (compact(k), compact(v)) for k, v in sorted(domains.items())))
        out.write("\n}}\n")
    broken = [r for r in rules if r["broken"]]
    print("%d rules, %d broken at the source" % (len(rules), len(broken)))
    for r in broken:
        print("  %s: %s" % (r["file"], r["broken"]))


if __name__ == "__main__":
    sys.exit(main())
