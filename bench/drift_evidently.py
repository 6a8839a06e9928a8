"""Evidently on the data of bench/drift.ts: the same 1M-row reference and the same prediction-log
windows (run bench/drift.ts first; it writes the files and its own scores).

    ~/.cache/mlops-control-plane/pyref-evidently/bin/python bench/drift_evidently.py \
        [--dir /tmp/mlops-drift-bench] [--rows 1000000,10000000] [--max-rss-gb 14] [--max-minutes 30]

Each size runs in its own process (a clean peak RSS). The window is read with pyarrow into pandas
(strings as object columns, as users load them) and compared with Report([DataDriftPreset()]).
A watchdog stops a run that passes the memory or time limit and says so. When bench/drift.ts left
its scores (ours-<rows>.json), the scores are compared column by column.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

DEFAULT_DIR = Path(os.environ.get("TMPDIR", "/tmp")) / "mlops-drift-bench"
TEST_NAMES = {
    "K-S p_value": "ks", "chi-square p_value": "chisquare", "Z-test p_value": "z",
    "Wasserstein distance (normed)": "wasserstein", "Jensen-Shannon distance": "jensenshannon",
    "PSI": "psi", "Kullback-Leibler divergence": "kl",
}


def measure(directory: Path, rows: int) -> dict:
    warnings.filterwarnings("ignore")
    import evidently
    import pyarrow.dataset as ds
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    started = time.perf_counter()
    reference = ds.dataset(directory / "reference.parquet").to_table().to_pandas()
    log = ds.dataset(directory / f"log-{rows}" / "predictions" / "model=bench", format="parquet", partitioning="hive")
    features = list(reference.columns)
    current = log.to_table(columns=[f"f_{name}" for name in features]).to_pandas()
    current.columns = features
    loaded = time.perf_counter()
    numeric = [c for c in features if c.startswith("n")]
    categorical = [c for c in features if c.startswith("c")]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition), Dataset.from_pandas(reference, data_definition=definition))
    finished = time.perf_counter()
    scores, share = {}, None
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            share = metric["value"]["share"]
        elif config["type"].endswith("ValueDrift"):
            value = metric["value"]
            scores[config["column"]] = {"test": TEST_NAMES.get(config["method"], config["method"]),
                                        "score": value if math.isfinite(value) else None,
                                        "threshold": config["threshold"]}
    (directory / f"evidently-{rows}.json").write_text(json.dumps(scores))
    return {
        "rows": rows,
        "load_s": loaded - started,
        "report_s": finished - loaded,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "share": share,
        "evidently": evidently.__version__,
    }


def rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except FileNotFoundError:
        pass
    return 0


def run_watched(directory: Path, rows: int, max_rss_mb: int, max_seconds: float) -> dict:
    child = subprocess.Popen([sys.executable, __file__, "--measure", str(rows), "--dir", str(directory)], stdout=subprocess.PIPE, text=True)
    started, peak = time.perf_counter(), 0
    while child.poll() is None:
        peak = max(peak, rss_mb(child.pid))
        elapsed = time.perf_counter() - started
        if peak > max_rss_mb or elapsed > max_seconds:
            child.kill()
            child.wait()
            reason = f"RSS passed {max_rss_mb} MB" if peak > max_rss_mb else f"still running after {max_seconds / 60:.0f} min"
            return {"rows": rows, "stopped": f"stopped: {reason} (peak seen {peak} MB, {elapsed:.0f} s)"}
        time.sleep(0.2)
    output = child.stdout.read().strip().splitlines()
    if child.returncode != 0 or not output:
        return {"rows": rows, "stopped": f"failed with exit code {child.returncode}"}
    return json.loads(output[-1])


def compare_scores(directory: Path, rows: int) -> None:
    ours_file, theirs_file = directory / f"ours-{rows}.json", directory / f"evidently-{rows}.json"
    if not (ours_file.exists() and theirs_file.exists()):
        return
    ours, theirs = json.loads(ours_file.read_text()), json.loads(theirs_file.read_text())
    print(f"\nscores at {rows:,} rows, ours vs Evidently (~ = ours from quantile sketches):")
    print("| column | test | ours | Evidently | abs diff | same verdict |")
    print("|---|---|---:|---:|---:|:--|")
    for column, theirs_column in theirs.items():
        mine = ours.get(column, {})
        a, b = mine.get("score"), theirs_column["score"]
        verdict = None
        if a is not None and b is not None:
            threshold = theirs_column["threshold"]
            drifted = (b <= threshold) if theirs_column["test"] == "ks" else (b < threshold) if theirs_column["test"] in ("chisquare", "z") else (b >= threshold)
            verdict = drifted == mine.get("drifted")
        diff = abs(a - b) if a is not None and b is not None else float("nan")
        mark = "~" if mine.get("approximate") else ""
        print(f"| {column} | {mine.get('test')}{mark} / {theirs_column['test']} | {a:.6g} | {b:.6g} | {diff:.2g} | {verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--rows", default="1000000,10000000")
    parser.add_argument("--measure", type=int)
    parser.add_argument("--max-rss-gb", type=float, default=14)
    parser.add_argument("--max-minutes", type=float, default=30)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.dir, args.measure)))
        return
    results = [run_watched(args.dir, int(rows), int(args.max_rss_gb * 1024), args.max_minutes * 60) for rows in args.rows.split(",")]
    print(f"\n{os.cpu_count()} vCPU, load average {os.getloadavg()[0]:.1f}")
    print("| rows | load s | Report s | total s | peak RSS MB | drift share |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        if "stopped" in r:
            print(f"| {r['rows']:,} | | | | | {r['stopped']} |")
        else:
            print(f"| {r['rows']:,} | {r['load_s']:.1f} | {r['report_s']:.1f} | {r['load_s'] + r['report_s']:.1f} | {r['peak_rss_mb']} | {r['share']:.2f} |")
    for r in results:
        if "stopped" not in r:
            compare_scores(args.dir, r["rows"])


if __name__ == "__main__":
    main()
