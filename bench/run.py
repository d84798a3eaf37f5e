"""Benchmark modelgen against sqlacodegen 4.0.4 on the same databases, in one run.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/run.py [--server URL] [--sizes 47,1000] [--repeat 3]

For each schema (47 = the fixture production; N = bench/make_schema.py N) it
loads a database, then alternates the two tools `--repeat` times, each a fresh
process (cold: modelgen keeps no cache, so every run is cold), and prints the
medians of wall time and peak memory with the ratio modelgen / sqlacodegen.
modelgen's wall time includes formatting to Black's output; sqlacodegen's
output is not formatted.  It also times modelgen's stages in-process
(reflect, build + render, format) and `modelgen check` from a snapshot with no
database.  Results go to stdout and bench/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelgen.catalog.connect import parse_url  # noqa: E402
from modelgen.catalog.scratch import execute, find_server, run_sql_file  # noqa: E402

BIN = Path(sys.executable).parent


def measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def load(admin: str, size: int, work: Path) -> str:
    name = f"modelgen_bench_{size}"
    execute(
        admin,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    )
    url = parse_url(admin).with_database(name).render()
    if size == 47:
        sql = ROOT / "fixtures" / "production" / "schema.sql"
    else:
        sql = work / f"schema_{size}.sql"
        with sql.open("w") as handle:
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "make_schema.py"), str(size)],
                stdout=handle,
                check=True,
            )
    run_sql_file(url, sql)
    return url


def stages(url: str, out: Path) -> dict[str, float]:
    """modelgen's stages in this process (imports already paid)."""
    from modelgen.catalog.reflect import reflect_url
    from modelgen.config import Config
    from modelgen.generate.build import build_plan, select_specs
    from modelgen.generate.format import format_source
    from modelgen.generate.render import make_environment, render_file

    t0 = time.perf_counter()
    schema = reflect_url(url)
    t1 = time.perf_counter()
    config = Config(path=None, root=out)
    plan = build_plan(schema, config, select_specs(config, schema, [], False), out)
    env = make_environment()
    sources = [render_file(env, f) for f in plan.files]
    t2 = time.perf_counter()
    for source in sources:
        format_source(source, "bench")
    t3 = time.perf_counter()
    return {"reflect": t1 - t0, "build+render": t2 - t1, "format": t3 - t2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="admin URL of a PostgreSQL server")
    parser.add_argument("--sizes", default="47,1000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    admin = find_server(args.server)
    results = []
    with tempfile.TemporaryDirectory(prefix="modelgen-bench-") as tmp:
        work = Path(tmp)
        for size in [int(s) for s in args.sizes.split(",")]:
            url = load(admin, size, work)
            runs: dict[str, list[tuple[float, float]]] = {
                "modelgen": [],
                "sqlacodegen": [],
            }
            for i in range(args.repeat):
                out = work / f"m{size}_{i}"
                runs["modelgen"].append(
                    measure(
                        [
                            str(BIN / "modelgen"),
                            "generate",
                            "--url",
                            url,
                            "--out",
                            str(out),
                        ],
                        work,
                    )
                )
                runs["sqlacodegen"].append(
                    measure(
                        [
                            str(BIN / "sqlacodegen"),
                            url,
                            "--outfile",
                            str(work / f"s{size}_{i}.py"),
                        ],
                        work,
                    )
                )
            snapshot = work / f"snap{size}.json"
            measure(
                [str(BIN / "modelgen"), "snapshot", "--url", url, "-o", str(snapshot)],
                work,
            )
            check = [
                measure(
                    [
                        str(BIN / "modelgen"),
                        "check",
                        "--snapshot",
                        str(snapshot),
                        "--out",
                        str(work / f"m{size}_0"),
                    ],
                    work,
                )[0]
                for _ in range(args.repeat)
            ]
            stage = stages(url, work / "stages")
            row = {
                "tables": size,
                "modelgen_s": statistics.median(r[0] for r in runs["modelgen"]),
                "sqlacodegen_s": statistics.median(r[0] for r in runs["sqlacodegen"]),
                "modelgen_mib": statistics.median(r[1] for r in runs["modelgen"]),
                "sqlacodegen_mib": statistics.median(r[1] for r in runs["sqlacodegen"]),
                "check_snapshot_s": statistics.median(check),
                **{f"stage_{k}_s": v for k, v in stage.items()},
            }
            row["time_ratio"] = row["modelgen_s"] / row["sqlacodegen_s"]
            row["memory_ratio"] = row["modelgen_mib"] / row["sqlacodegen_mib"]
            results.append(row)
            print(
                f"{size:>6} tables  modelgen {row['modelgen_s']:6.2f} s {row['modelgen_mib']:6.0f} MiB"
                f" | sqlacodegen {row['sqlacodegen_s']:6.2f} s {row['sqlacodegen_mib']:6.0f} MiB"
                f" | time ratio {row['time_ratio']:.2f}  memory ratio {row['memory_ratio']:.2f}"
                f" | check from snapshot {row['check_snapshot_s']:.2f} s"
                f" | stages: reflect {stage['reflect']:.2f} s, build+render {stage['build+render']:.2f} s,"
                f" format {stage['format']:.2f} s",
                flush=True,
            )
            execute(
                admin,
                f'DROP DATABASE IF EXISTS "{parse_url(url).database}" WITH (FORCE)',
            )
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print("cold runs only: modelgen keeps no cache between runs")


if __name__ == "__main__":
    main()
