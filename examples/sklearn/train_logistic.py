#!/usr/bin/env python3
"""An example containerised trainer: scikit-learn's LogisticRegression, written in our format.

The contract (the same as for `train.runtime: command`, see the README):
  in   MLOPS_TRAIN_DATA, MLOPS_HOLDOUT_DATA  CSV splits (mounted read-only at /mlops/data)
       MLOPS_TARGET                          the 0/1 label column
       MLOPS_FEATURES                        comma-separated feature columns (data.features/exclude)
       MLOPS_MODEL                           the model name
  out  $MLOPS_OUTPUT_DIR/model/model.json    a "mlops.linear-model/v1" model our servers load
       $MLOPS_OUTPUT_DIR/metrics.json        a flat JSON object of numbers, kept with the version

Preprocessing matches the built-in trainer, so the served scores are exactly sklearn's:
numeric columns are standardised with the training mean and population std (a missing value
becomes the mean), other columns are one-hot encoded over the training categories (a missing or
unseen value encodes as all zeros). The penalty is sklearn's C = 1 / l2 (TRAIN_L2, default 1).
"""
import csv
import json
import math
import os
import sys
import time
from datetime import datetime, timezone

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

FORMAT = "mlops.linear-model/v1"


def fail(message):
    print(f"train.py: {message}", file=sys.stderr)
    sys.exit(2)


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None or value == "":
        fail(f"environment variable {name} is not set")
    return value


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            fail(f"{path} is empty")
        rows = [row for row in reader if row]
    return header, rows


def as_number(cell):
    """A cell as a float: '' is missing (nan), true/false are 1/0, anything else non-numeric is None."""
    text = cell.strip()
    if text == "":
        return math.nan
    lowered = text.lower()
    if lowered in ("true", "false"):
        return 1.0 if lowered == "true" else 0.0
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def fit_encodings(header, rows, features):
    encodings = []
    for name in features:
        column = header.index(name)
        values = [as_number(row[column]) for row in rows]
        if all(v is not None for v in values):
            present = np.array([v for v in values if not math.isnan(v)], dtype=float)
            mean = float(present.mean()) if present.size else 0.0
            std = float(np.sqrt(np.mean((present - mean) ** 2))) if present.size else 0.0
            encodings.append({"name": name, "kind": "numeric", "mean": mean, "std": std if std > 0 else 1.0})
        else:
            categories = sorted({row[column] for row in rows if row[column] != ""})
            encodings.append({"name": name, "kind": "categorical", "categories": categories})
    return encodings


def encode(header, rows, encodings):
    blocks = []
    for encoding in encodings:
        column = header.index(encoding["name"])
        if encoding["kind"] == "numeric":
            values = np.array([as_number(row[column]) for row in rows], dtype=float)
            values = np.where(np.isnan(values), encoding["mean"], values)
            blocks.append(((values - encoding["mean"]) / encoding["std"]).reshape(-1, 1))
        else:
            index = {category: i for i, category in enumerate(encoding["categories"])}
            block = np.zeros((len(rows), len(index)))
            for r, row in enumerate(rows):
                hot = index.get(row[column])
                if hot is not None:
                    block[r, hot] = 1.0
            blocks.append(block)
    return np.hstack(blocks) if blocks else np.zeros((len(rows), 0))


def labels(header, rows, target):
    column = header.index(target)
    out = []
    for row in rows:
        value = as_number(row[column])
        if value not in (0.0, 1.0):
            fail(f"target {target} must be 0/1 or true/false, got {row[column]!r}")
        out.append(int(value))
    return np.array(out)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, path)


def main():
    started = time.monotonic()
    target = env("MLOPS_TARGET")
    model_name = env("MLOPS_MODEL", "sklearn-example")
    output = env("MLOPS_OUTPUT_DIR")
    l2 = float(os.environ.get("TRAIN_L2", "1"))
    max_iter = int(os.environ.get("TRAIN_MAX_ITER", "500"))
    tolerance = float(os.environ.get("TRAIN_TOLERANCE", "1e-6"))

    header, train_rows = read_csv(env("MLOPS_TRAIN_DATA"))
    holdout_header, holdout_rows = read_csv(env("MLOPS_HOLDOUT_DATA"))
    if target not in header:
        fail(f"target column {target!r} is not in the training data (columns: {', '.join(header)})")
    features = [f for f in os.environ.get("MLOPS_FEATURES", "").split(",") if f] or [c for c in header if c != target]
    missing = [f for f in features if f not in header or f not in holdout_header]
    if missing:
        fail(f"feature columns not in the data: {', '.join(missing)}")

    encodings = fit_encodings(header, train_rows, features)
    x_train, y_train = encode(header, train_rows, encodings), labels(header, train_rows, target)
    x_holdout, y_holdout = encode(holdout_header, holdout_rows, encodings), labels(holdout_header, holdout_rows, target)
    print(f"training scikit-learn {sklearn.__version__} LogisticRegression on {len(y_train)} rows, "
          f"{len(features)} features ({x_train.shape[1]} encoded columns), C = {1 / l2:g}", flush=True)

    classifier = LogisticRegression(C=1.0 / l2, solver="lbfgs", max_iter=max_iter, tol=tolerance)
    classifier.fit(x_train, y_train)
    iterations = int(classifier.n_iter_[0])
    weights = classifier.coef_[0]
    intercept = float(classifier.intercept_[0])

    train_scores = classifier.predict_proba(x_train)[:, 1]
    holdout_scores = classifier.predict_proba(x_holdout)[:, 1]
    summed_loss = float(log_loss(y_train, train_scores, labels=[0, 1], normalize=False))
    artifact = {
        "format": FORMAT,
        "model": model_name,
        "algorithm": "logistic_regression",
        "target": target,
        "features": encodings,
        "intercept": intercept,
        "weights": [float(w) for w in weights],
        "params": {"l2": l2, "maxIterations": max_iter, "tolerance": tolerance, "minCategoryCount": 1},
        "training": {
            "rows": int(len(y_train)),
            "positives": int(y_train.sum()),
            "iterations": iterations,
            "converged": iterations < max_iter,
            "finalLoss": summed_loss + l2 / 2 * float(np.dot(weights, weights)),
            "seconds": time.monotonic() - started,
            "seed": 0,
            "library": f"scikit-learn {sklearn.__version__}",
        },
        "createdAt": datetime.now(timezone.utc).isoformat(),
    }
    metrics = {
        "train_log_loss": float(log_loss(y_train, train_scores, labels=[0, 1])),
        "holdout_log_loss": float(log_loss(y_holdout, holdout_scores, labels=[0, 1])),
        "holdout_accuracy": float(accuracy_score(y_holdout, holdout_scores >= 0.5)),
        "holdout_roc_auc": float(roc_auc_score(y_holdout, holdout_scores)) if len(set(y_holdout)) == 2 else math.nan,
        "iterations": iterations,
    }
    metrics = {k: v for k, v in metrics.items() if math.isfinite(v)}
    write_json(os.path.join(output, "model", "model.json"), artifact)
    write_json(os.path.join(output, "metrics.json"), metrics)
    print(f"done in {time.monotonic() - started:.1f} s: hold-out ROC AUC {metrics.get('holdout_roc_auc', float('nan')):.4f}, "
          f"accuracy {metrics['holdout_accuracy']:.4f}, {iterations} iterations", flush=True)


if __name__ == "__main__":
    main()
