#!/usr/bin/env python3
"""Side-by-side timing of the seed hunts over the same Parquet files.

Engines: our engine on the verbatim KQL and the best hand-written DataFusion plan (both through
the `hunt-bench` binary, in-process), DuckDB with `has` written correctly (an ILIKE prefilter AND
a boundary regex) and with the fast-but-wrong ILIKE form, ClickHouse (chdb) SQL with a boundary
regex and with ILIKE, and ClickHouse's Kusto dialect on the KQL text (verbatim but for the clock:
ClickHouse has no injectable `now()`, so `now(-5d)` and `now()` become the lake's fixed window). Every engine runs one
warm-up and then --runs timed runs, fetching the result to Arrow; the table shows medians and our
ratio to each. Rows are compared with ours: a correct engine must return exactly the same rows.

    pip install -r benches/compare/requirements.txt
    cargo build --release -p benches --bin hunt-bench
    python3 benches/compare/compare.py --rows 10000000 [--shuffled] [--markdown]

With --dynamic it times the `dynamic` queries instead: member access on the JSON text of
`DeviceEvents.AdditionalFields` (a plain string column) by our engine (`parse_json(...).Command
has "powershell"`, and `summarize count() by tostring(parse_json(...).Name)`) and by DuckDB's
`json_extract_string` on the same file, with an exact `has` (an ILIKE prefilter AND a boundary
regex on the extracted value), and checks that the rows agree. With --dynamic --copies it
also runs on copies of the file written by pyarrow and by DuckDB with their defaults (the
rows in their order: the copies test the writers, not the order).
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START = "2024-05-27 12:00:00"
END = "2024-06-01 12:00:00"

# key: (table, [(column, [needles])] all must hold, group keys)
HUNTS = {
    "A": ("DeviceFileCertificateInfo", [("Signer", ["Atera Networks"])], ["DeviceId", "DeviceName"]),
    "B": (
        "DeviceNetworkEvents",
        [("RemoteUrl", ["atera.com", "atera-agent-heartbeat"]),
         ("InitiatingProcessVersionInfoCompanyName", ["Atera Networks"])],
        ["DeviceId", "DeviceName", "RemoteUrl"],
    ),
    "C": ("DeviceProcessEvents", [("ProcessVersionInfoCompanyName", ["Atera Networks"])], ["DeviceId", "DeviceName"]),
    "D": ("DeviceFileCertificateInfo", [("Signer", ["Action1 Corporation"])], ["DeviceId", "DeviceName"]),
}


def boundary_regex(needles):
    alts = "|".join(re.escape(n.lower()) for n in needles)
    # A KQL term is a run of Unicode letters and digits (spec 5.1): a needle edge that is a
    # term character must meet a non-term character or the end of the text.
    return r"(?i)(^|[^\pL\pN])(" + alts + r")($|[^\pL\pN])"


def table_path(lake, table):
    f = lake / f"{table}.parquet"
    return (str(f), False) if f.exists() else (str(lake / table / "**" / "*.parquet"), True)


def sql_duckdb(lake, key, exact):
    table, tests, keys = HUNTS[key]
    path, hive = table_path(lake, table)
    conds = []
    for col, needles in tests:
        ilike = " OR ".join(f"{col} ILIKE '%{n.lower()}%'" for n in needles)
        if exact:
            rx = boundary_regex(needles).replace("'", "''")
            conds.append(f"(({ilike}) AND regexp_matches({col}, '{rx}'))")
        else:
            conds.append(f"({ilike})")
    src = f"read_parquet('{path}', hive_partitioning = {str(hive).lower()})"
    return (
        f"SELECT {', '.join(keys)}, min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen, "
        f"list(DISTINCT ReportId) AS Report, count(*) AS Count FROM {src} "
        f"WHERE Timestamp BETWEEN TIMESTAMPTZ '{START}+00' AND TIMESTAMPTZ '{END}+00' AND {' AND '.join(conds)} "
        f"GROUP BY ALL"
    )


def sql_clickhouse(lake, key, exact):
    table, tests, keys = HUNTS[key]
    path, _ = table_path(lake, table)
    conds = []
    for col, needles in tests:
        if exact:
            pre = " OR ".join(f"positionCaseInsensitiveUTF8({col}, '{n}') > 0" for n in needles)
            rx = boundary_regex(needles).replace("\\", "\\\\").replace("'", "\\'")
            conds.append(f"(({pre}) AND match({col}, '{rx}'))")
        else:
            conds.append("(" + " OR ".join(f"{col} ILIKE '%{n}%'" for n in needles) + ")")
    return (
        f"SELECT {', '.join(keys)}, min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen, "
        f"groupUniqArray(ReportId) AS Report, count() AS Count FROM file('{path}', Parquet) "
        f"WHERE Timestamp BETWEEN toDateTime64('{START}', 6, 'UTC') AND toDateTime64('{END}', 6, 'UTC') "
        f"AND {' AND '.join(conds)} GROUP BY {', '.join(keys)}"
    )


def normalize(table):
    """Rows as comparable JSON strings: keys as text, times as ISO UTC, Report sorted."""
    out = []
    for row in table.to_pylist():
        norm = {}
        for k, v in row.items():
            if k in ("FirstSeen", "LastSeen"):
                v = v.astimezone(datetime.timezone.utc) if v.tzinfo else v
                v = v.strftime("%Y-%m-%dT%H:%M:%S") + (f".{v.microsecond:06d}".rstrip("0") if v.microsecond else "") + "Z"
            elif k == "Report":
                v = sorted(set(int(x) for x in v))
            elif k == "Count":
                v = int(v)
            else:
                v = "" if v is None else str(v)
            norm[k] = v
        out.append(json.dumps(norm, sort_keys=True))
    return sorted(out)


def report(lines, failures, markdown):
    """Prints the table (a header row, then rows of cells) and any mismatches; exits 1 on one."""
    if markdown:
        print("| " + " | ".join(lines[0]) + " |")
        print("|" + "---|" * len(lines[0]))
        for l in lines[1:]:
            print("| " + " | ".join(l) + " |")
    else:
        widths = [max(len(l[i]) for l in lines) for i in range(len(lines[0]))]
        for l in lines:
            print("  ".join(c.ljust(w) for c, w in zip(l, widths)))
    for f in failures:
        print("MISMATCH: " + f, file=sys.stderr)
    sys.exit(1 if failures else 0)


def timed(fn, runs):
    result = fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def kusto_text(kql):
    """The seed hunt for ClickHouse's Kusto dialect: verbatim but for `now`, pinned to the lake's clock."""
    return kql.replace("now(-5d)", f"datetime({START})").replace("now()", f"datetime({END})")


def clickhouse_views(sess, lake, tables):
    for table in tables:
        path, _ = table_path(lake, table)
        sess.query(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM file('{path}', Parquet)")


def clickhouse_kusto(sess, kql):
    sess.query("SET allow_experimental_kusto_dialect = 1")
    sess.query("SET dialect = 'kusto'")
    try:
        return sess.query(kusto_text(kql), "ArrowTable")
    finally:
        sess.query("SET dialect = 'clickhouse'")


def run_ours(lake, runs, hunts):
    exe = ROOT / "target" / "release" / "hunt-bench"
    if not exe.exists():
        sys.exit(f"{exe} is missing: cargo build --release -p benches --bin hunt-bench")
    out = subprocess.run(
        [str(exe), "--lake", str(lake), "--runs", str(runs), "--hunts", ",".join(hunts)],
        check=True, capture_output=True, text=True,
    ).stdout
    results, texts, runs_s = {}, {}, {}
    for line in out.splitlines():
        o = json.loads(line)
        rows = sorted(json.dumps(r, sort_keys=True) for r in o["rows"])
        results[(o["engine"], o["hunt"])] = (o["median_s"], rows)
        texts[o["hunt"]] = o["kql"]
        runs_s[(o["engine"], o["hunt"])] = o["runs_s"]
    # The KQL layer's cost: the median of the per-run ratios (the engines' runs are
    # interleaved, so each pair saw the same machine state).
    layer = {}
    for key in hunts:
        ours_runs, hand_runs = runs_s.get(("kql (ours)", key)), runs_s.get(("datafusion (hand-written)", key))
        if ours_runs and hand_runs:
            layer[key] = statistics.median(a / b for a, b in zip(ours_runs, hand_runs)) - 1
    return results, texts, layer


def shuffled_copy(lake, duckdb_written=False):
    """The hunted tables with their rows in random order (no row group can be skipped by time),
    written like the time-ordered lake: zstd, 1M-row groups, dictionary pages and a page index
    (as arrow-rs and Spark write them). DuckDB shuffles within bounded memory; pyarrow rewrites
    its output batch by batch, because DuckDB writes no page index. With `duckdb_written`, DuckDB's
    own file is kept (122,880-row groups, no page index): the files a DuckDB user would have."""
    import duckdb
    import pyarrow.parquet as pq

    dest = lake.parent / (lake.name + ("-shuffled-duckdb" if duckdb_written else "-shuffled"))
    if (dest / "manifest.json").exists():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    for t in sorted({h[0] for h in HUNTS.values()}):
        tmp = dest / f"{t}.duckdb.parquet"
        con.execute(f"COPY (SELECT * FROM read_parquet('{lake / f'{t}.parquet'}') ORDER BY hash(ReportId)) "
                    f"TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)")
        if duckdb_written:
            tmp.rename(dest / f"{t}.parquet")
            continue
        source = pq.ParquetFile(tmp)
        with pq.ParquetWriter(dest / f"{t}.parquet", source.schema_arrow, compression="zstd",
                              write_page_index=True) as writer:
            for batch in source.iter_batches(batch_size=1 << 20):
                writer.write_batch(batch, row_group_size=1 << 20)
        tmp.unlink()
    shutil.copy(lake / "manifest.json", dest / "manifest.json")
    return dest


def layout_copies(lake):
    """The hunted tables, in time order, written the ways users write them: pyarrow with its
    defaults (zstd asked for; 1Mi-row groups, dictionary pages, no page index), DuckDB's `COPY ...
    (FORMAT parquet)` with its defaults (snappy, 122,880-row groups, no page index), and a
    Spark-like layout (a `day=YYYY-MM-DD/` folder per day, several files each, one large row group
    per file, with a page index). Each made once, next to the lake (its manifest marks it done)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tables = sorted({h[0] for h in HUNTS.values()})

    def pyarrow_defaults(dest, t):
        source = pq.ParquetFile(lake / f"{t}.parquet")
        with pq.ParquetWriter(dest / f"{t}.parquet", source.schema_arrow, compression="zstd") as writer:
            for batch in source.iter_batches(batch_size=1 << 20):
                writer.write_batch(batch)

    def duckdb_copy(dest, t):
        duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet('{lake / f'{t}.parquet'}')) "
                                 f"TO '{dest / f'{t}.parquet'}' (FORMAT parquet)")

    def spark_like(dest, t, rows_per_file=100_000):
        source = pq.ParquetFile(lake / f"{t}.parquet")
        pieces, key, part = [], None, 0

        def flush():
            if pieces:
                folder = dest / t / f"day={key}"
                folder.mkdir(parents=True, exist_ok=True)
                # One row group per file (Spark's 128 MB row groups hold a whole small file).
                pq.write_table(pa.Table.from_batches(pieces), folder / f"part-{part:05d}.zstd.parquet",
                               compression="zstd", write_page_index=True, row_group_size=1 << 24)

        for batch in source.iter_batches(batch_size=1 << 16):
            days = pc.strftime(batch.column("Timestamp"), format="%Y-%m-%d")
            for day in pc.unique(days).to_pylist():
                piece = batch.filter(pc.equal(days, day))
                if key != day or sum(p.num_rows for p in pieces) >= rows_per_file:
                    flush()
                    part = part + 1 if key == day else 0
                    key, pieces = day, []
                pieces.append(piece)
        flush()
        (dest / t / "_SUCCESS").write_text("")

    out = []
    for label, suffix, write in [("pyarrow defaults", "-pyarrow", pyarrow_defaults),
                                 ("DuckDB COPY", "-duckdb-copy", duckdb_copy),
                                 ("Spark-like (day folders)", "-spark", spark_like)]:
        dest = lake.parent / (lake.name + suffix)
        if not (dest / "manifest.json").exists():
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            for t in tables:
                write(dest, t)
            shutil.copy(lake / "manifest.json", dest / "manifest.json")
        out.append((label, dest))
    return out


def run_ours_process(lake, texts, runs):
    """Ours as a user runs it: a whole `kql query` process per run (start, list the lake, read the
    footers, plan, run, print CSV), timed from outside; the median of `runs` after a warm-up."""
    exe = ROOT / "target" / "release" / "kql"
    if not exe.exists():
        sys.exit(f"{exe} is missing: cargo build --release -p kql-cli")
    medians = {}
    for key, text in texts.items():
        cmd = [str(exe), "query", "--lake", str(lake), "--now", END.replace(" ", "T") + "Z", "--format", "csv", text]
        def once():
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        medians[key], _ = timed(once, runs)
    return medians


DYNAMIC = {
    # key: (DuckDB SQL over {src}, how to normalise a result row)
    "command_has": (
        "SELECT count(*) AS Count FROM {src} WHERE json_extract_string(AdditionalFields, '$.Command') ILIKE '%powershell%' "
        "AND regexp_matches(json_extract_string(AdditionalFields, '$.Command'), '" + boundary_regex(["powershell"]) + "')"
    ),
    "name_summarize": (
        "SELECT coalesce(json_extract_string(AdditionalFields, '$.Name'), '') AS AdditionalFields_Name, count(*) AS count_ "
        "FROM {src} GROUP BY 1"
    ),
}


def dynamic_rows(table):
    """Rows as comparable JSON strings (counts as integers, text as text)."""
    out = []
    for row in table.to_pylist():
        out.append(json.dumps({k: (int(v) if isinstance(v, int) else ("" if v is None else str(v))) for k, v in row.items()},
                              sort_keys=True))
    return sorted(out)


def dynamic_copies(lake):
    """`DeviceEvents` as other tools write it: pyarrow with its defaults (snappy, dictionary
    pages, 1Mi-row groups) and DuckDB with its defaults (snappy, 122,880-row groups)."""
    import duckdb
    import pyarrow.parquet as pq

    copies = []
    for label, suffix in (("pyarrow-written", "pyarrow"), ("DuckDB-written", "duckdb")):
        dest = lake.parent / f"{lake.name}-{suffix}"
        target = dest / "DeviceEvents.parquet"
        if not target.exists():
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            tmp = dest / "DeviceEvents.parquet.tmp"
            if suffix == "duckdb":
                duckdb.connect().execute(
                    f"COPY (SELECT * FROM read_parquet('{lake / 'DeviceEvents.parquet'}')) TO '{tmp}' (FORMAT parquet)")
            else:
                source = pq.ParquetFile(lake / "DeviceEvents.parquet")
                with pq.ParquetWriter(tmp, source.schema_arrow) as writer:
                    for batch in source.iter_batches(batch_size=1 << 20):
                        writer.write_batch(batch)
            tmp.rename(target)
        copies.append((label, dest))
    return copies


def run_dynamic(args):
    import duckdb

    exe = ROOT / "target" / "release" / "hunt-bench"
    if not exe.exists():
        sys.exit(f"{exe} is missing: cargo build --release -p benches --bin hunt-bench")
    lake = args.lake
    if lake is None:
        lake = ROOT / "target" / "bench-lakes" / f"dynamic-{args.rows}"
        if not (lake / "DeviceEvents.parquet").exists():
            subprocess.run([str(exe), "--suite", "dynamic", "--rows", str(args.rows), "--runs", "0"], check=True,
                           capture_output=True)
    lakes = [("generated" if args.lake is None else lake.name, lake)]
    if args.copies:
        lakes += dynamic_copies(lake)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}; duckdb {duckdb.__version__}; "
          f"{args.runs} runs after a warm-up, medians", file=sys.stderr)
    con = duckdb.connect()
    lines = [["files", "query", "kql (ours)", "duckdb, json_extract_string + exact has", "speed-up"]]
    failures = []
    for label, path in lakes:
        cmd = [str(exe), "--suite", "dynamic", "--runs", str(args.runs), "--lake", str(path)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        src = f"read_parquet('{path / 'DeviceEvents.parquet'}')"
        for line in out.splitlines():
            o = json.loads(line)
            key = o["hunt"]
            ours_rows = sorted(json.dumps({k: (int(v) if isinstance(v, int) else str(v)) for k, v in r.items()},
                                          sort_keys=True) for r in o["rows"])
            sql = DYNAMIC[key].format(src=src)
            median, result = timed(lambda: con.execute(sql).fetch_arrow_table(), args.runs)
            same = dynamic_rows(result) == ours_rows
            if not same:
                failures.append(f"duckdb on {key} ({label}): rows differ from ours")
            lines.append([label, key, f"{o['median_s']:.3f} s", f"{median:.3f} s" + ("" if same else " (rows differ)"),
                          f"{median / o['median_s']:.2f}x"])
    report(lines, failures, args.markdown)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lake", type=Path, help="a lake (default: the cached benchmark lake of --rows)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--hunts", default="A,B,C")
    ap.add_argument("--layer-runs", type=int, default=31,
                    help="runs of ours and the hand-written plan (interleaved; the KQL layer's few percent need "
                         "more samples than the engines' ratios)")
    ap.add_argument("--shuffled", action="store_true", help="also run on two shuffled copies of the lake: written with a page index (pyarrow) and by DuckDB (no page index)")
    ap.add_argument("--layouts", action="store_true",
                    help="also run on copies of the lake written by pyarrow (defaults), by DuckDB's COPY, and in a "
                         "Spark-like layout (day folders, many files), all in time order")
    ap.add_argument("--copies", action="store_true",
                    help="with --dynamic: also run on copies of DeviceEvents written by pyarrow and by DuckDB with their defaults")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--dynamic", action="store_true",
                    help="time the dynamic queries (member access on AdditionalFields) against DuckDB's json_extract_string")
    args = ap.parse_args()
    if args.dynamic:
        run_dynamic(args)
        return
    hunts = args.hunts.split(",")
    lake = args.lake
    if lake is None:
        lake = ROOT / "target" / "bench-lakes" / f"{args.rows}-file"
        if not (lake / "manifest.json").exists():
            exe = ROOT / "target" / "release" / "hunt-bench"
            subprocess.run([str(exe), "--rows", str(args.rows), "--runs", "0", "--hunts", "A"], check=True,
                           capture_output=True)
    lakes = [("time-ordered" if args.lake is None else lake.name, lake)]
    if args.layouts:
        lakes += layout_copies(lake)
    if args.shuffled:
        lakes += [("shuffled", shuffled_copy(lake)),
                  ("shuffled, DuckDB-written", shuffled_copy(lake, duckdb_written=True))]

    import chdb
    import duckdb

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}; duckdb {duckdb.__version__}, "
          f"chdb {chdb.__version__}; {args.runs} runs after a warm-up ({max(args.runs, args.layer_runs)} for ours and "
          f"the hand-written plan), medians", file=sys.stderr)
    table = []
    for label, path in lakes:
        ours, kql_texts, layer = run_ours(path, max(args.runs, args.layer_runs), hunts)
        process = run_ours_process(path, kql_texts, args.runs)
        con = duckdb.connect()
        sess = chdb.session.Session()
        clickhouse_views(sess, path, sorted({HUNTS[k][0] for k in hunts}))
        for key in hunts:
            reference = ours[("kql (ours)", key)][1]
            engines = [
                # Ours and the hand-written plan were timed in-process by hunt-bench.
                ("kql (ours)", True, None),
                ("datafusion (hand-written)", True, None),
                ("duckdb, exact has", True, lambda s=sql_duckdb(path, key, True): con.execute(s).fetch_arrow_table()),
                ("duckdb, ILIKE (wrong)", False, lambda s=sql_duckdb(path, key, False): con.execute(s).fetch_arrow_table()),
                ("clickhouse, exact regex", True,
                 lambda s=sql_clickhouse(path, key, True): sess.query(s, "ArrowTable")),
                ("clickhouse, ILIKE (wrong)", False,
                 lambda s=sql_clickhouse(path, key, False): sess.query(s, "ArrowTable")),
                ("clickhouse kusto dialect", None, lambda q=kql_texts[key]: clickhouse_kusto(sess, q)),
            ]
            row = {"lake": label, "hunt": key, "layer": layer.get(key), "process": process.get(key)}
            for name, exact, fn in engines:
                try:
                    if (name, key) in ours:
                        median, rows = ours[(name, key)]
                    else:
                        median, result = timed(fn, args.runs)
                        rows = normalize(result)
                    same = rows == reference
                    row[name] = (median, same, exact)
                except Exception as e:  # an engine that cannot run the query is reported, not fatal
                    row[name] = (None, False, exact)
                    print(f"{name} on {key}: {e}", file=sys.stderr)
            table.append(row)

    names = ["kql (ours)", "datafusion (hand-written)", "duckdb, exact has", "duckdb, ILIKE (wrong)",
             "clickhouse, exact regex", "clickhouse, ILIKE (wrong)", "clickhouse kusto dialect"]
    header = (["lake", "hunt"] + names
              + ["KQL layer cost", "speed-up over fastest exact other", "kql query (whole process)", "process vs fastest exact other"])
    lines = [header]
    failures = []
    for row in table:
        ours_t = row["kql (ours)"][0]
        cells = [row["lake"], row["hunt"]]
        others = []
        for n in names:
            t, same, exact = row.get(n, (None, False, True))
            if t is None:
                cells.append("n/a")
                continue
            # exact: must return our rows; False: a known-wrong formulation; None: another KQL
            # engine, whose differences are reported, not enforced.
            mark = "" if same else (" (rows differ)" if exact is not False else " (wrong rows)")
            cells.append(f"{t:.3f} s{mark}")
            if exact and not same:
                failures.append(f"{n} on {row['lake']} {row['hunt']}: rows differ from ours")
            if exact is not False and n not in ("kql (ours)", "datafusion (hand-written)") and same:
                others.append(t)
        cells.append(f"{row['layer'] * 100:+.1f}%" if row["layer"] is not None else "n/a")
        cells.append(f"{min(others) / ours_t:.2f}x" if others and ours_t else "n/a")
        proc = row["process"]
        cells.append(f"{proc:.3f} s" if proc else "n/a")
        cells.append(f"{min(others) / proc:.2f}x" if others and proc else "n/a")
        lines.append(cells)
    report(lines, failures, args.markdown)


if __name__ == "__main__":
    main()
