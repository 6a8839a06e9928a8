"""Fits the benchmark's scikit-learn models, writes them as ONNX, and times predict_proba.

    .tools/mlflow/bin/python bench/onnx_models.py <train.csv> <holdout.csv> <out dir> [rounds=3]

Models (the same preprocessing as examples/sklearn/train.py: median imputer for numbers,
"" -> "(missing)" then one-hot for text, one input tensor per column):
  hgb     HistGradientBoostingClassifier(max_iter=100)              -> <out>/hgb.onnx
  forest  RandomForestClassifier(n_estimators=300, max_depth=12)    -> <out>/forest.onnx
Prints one JSON object: per model, predict_proba seconds on the hold-out (median of the rounds,
each after a warm-up call), probabilities of its first 1,000 rows (parity), and versions.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd
import sklearn
import skl2onnx
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from threadpoolctl import threadpool_info

TARGET = "is_fraud"
EXCLUDE = {"transaction_id", TARGET}


def frame(path):
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    features = [c for c in raw.columns if c not in EXCLUDE]
    numeric = []
    for name in features:
        values = raw[name].replace("", np.nan).str.lower().replace({"true": "1", "false": "0"})
        if pd.to_numeric(values.dropna(), errors="coerce").notna().all():
            numeric.append(name)
    out = pd.DataFrame(index=raw.index)
    for name in features:
        if name in numeric:
            out[name] = pd.to_numeric(raw[name].replace("", np.nan).str.lower().replace({"true": "1", "false": "0"})).astype(np.float32)
        else:
            out[name] = raw[name].astype(str)
    y = pd.to_numeric(raw[TARGET].str.lower().replace({"true": "1", "false": "0"})).astype(int).to_numpy()
    return out, y, features, numeric


def main():
    train_path, holdout_path, out_dir = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    x_train, y_train, features, numeric = frame(train_path)
    x_holdout, _, _, _ = frame(holdout_path)
    categorical = [f for f in features if f not in numeric]
    preprocess = lambda: ColumnTransformer([
        ("numeric", SimpleImputer(strategy="median"), numeric),
        ("categorical", Pipeline([("impute", SimpleImputer(missing_values="", strategy="constant", fill_value="(missing)")),
                                  ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]), categorical),
    ])
    result = {"versions": {"scikit-learn": sklearn.__version__, "skl2onnx": skl2onnx.__version__, "numpy": np.__version__,
                           "blas": [f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads)" for i in threadpool_info()]},
              "holdoutRows": len(x_holdout), "models": {}}
    for name, classifier in (("hgb", HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0)),
                             ("forest", RandomForestClassifier(n_estimators=300, max_depth=12, random_state=0, n_jobs=-1))):
        started = time.perf_counter()
        pipeline = Pipeline([("preprocess", preprocess()), ("classifier", classifier)]).fit(x_train, y_train)
        fit_seconds = time.perf_counter() - started
        types = [(n, FloatTensorType([None, 1]) if n in numeric else StringTensorType([None, 1])) for n in features]
        model = to_onnx(pipeline, initial_types=types, options={id(classifier): {"zipmap": False}}, target_opset={"": 17, "ai.onnx.ml": 3})
        with open(os.path.join(out_dir, f"{name}.onnx"), "wb") as handle:
            handle.write(model.SerializeToString())
        pipeline.predict_proba(x_holdout.iloc[:1000])  # warm-up
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            probabilities = pipeline.predict_proba(x_holdout)[:, 1]
            times.append(time.perf_counter() - started)
        result["models"][name] = {"fitSeconds": fit_seconds, "predictSeconds": statistics.median(times), "rounds": times,
                                  "first": [float(p) for p in probabilities[:1000]]}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
