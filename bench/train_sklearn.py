"""The scikit-learn side of bench/train-vs-sklearn.ts: one fit in this process, one JSON line out.

    python bench/train_sklearn.py TRAIN.parquet HOLDOUT.parquet --c 1.0 --tol 1e-6 --max-iter 200

The Pipeline a user would write for the same model as our built-in trainer:
  - numeric features: StandardScaler (mean and population std over the non-missing values, as
    ours), then missing -> 0 (the standardised mean, as ours);
  - categorical features: OneHotEncoder over the categories seen in training, every category kept
    (no drop), missing and unseen values encoded as all zeros (as ours);
  - LogisticRegression(solver="lbfgs", C = 1 / l2): sklearn minimises
    (1/n)[sum log-loss + ||w||^2 / (2C)] with the intercept unpenalised, ours
    (1/n)[sum log-loss + (l2/2)||w||^2] with the intercept unpenalised, so C = 1 / l2.

Timed: the Pipeline's fit, including finding the categories (what OneHotEncoder(categories="auto")
would do) - not reading the Parquet file into pandas, and not the import of scikit-learn.
"""
import argparse
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
import sklearn.exceptions
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def log_loss(labels: np.ndarray, margins: np.ndarray) -> float:
    """Mean log loss from margins, computed without overflow: log(1 + e^m) - y m."""
    return float(np.mean(np.logaddexp(0.0, margins) - labels * margins))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("holdout")
    parser.add_argument("--c", type=float, required=True)
    parser.add_argument("--tol", type=float, required=True)
    parser.add_argument("--max-iter", type=int, required=True)
    parser.add_argument("--target", default="label")
    parser.add_argument("--info", action="store_true", help="print versions and the BLAS/OpenMP pools, then exit")
    args = parser.parse_args()

    if args.info:
        info = {"sklearn": sklearn.__version__, "numpy": np.__version__, "pandas": pd.__version__}
        try:
            import scipy

            info["scipy"] = scipy.__version__
            from threadpoolctl import threadpool_info

            info["threadpools"] = [
                {k: pool.get(k) for k in ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads", "threading_layer")}
                for pool in threadpool_info()
            ]
        except ImportError:
            info["threadpools"] = "threadpoolctl not available"
        print(json.dumps(info))
        return

    train = pd.read_parquet(args.train)
    holdout = pd.read_parquet(args.holdout)
    features = [c for c in train.columns if c != args.target]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(train[c])]
    categorical = [c for c in features if c not in numeric]
    y = train[args.target].to_numpy(dtype=np.float64)
    X = train[features]

    started = time.perf_counter()
    categories = [sorted(X[c].dropna().unique()) for c in categorical]
    pipeline = Pipeline(
        [
            (
                "encode",
                ColumnTransformer(
                    [
                        ("numeric", Pipeline([("scale", StandardScaler()), ("missing", SimpleImputer(strategy="constant", fill_value=0.0))]), numeric),
                        ("categorical", OneHotEncoder(categories=categories, handle_unknown="ignore"), categorical),
                    ]
                ),
            ),
            ("model", LogisticRegression(solver="lbfgs", C=args.c, tol=args.tol, max_iter=args.max_iter)),
        ]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipeline.fit(X, y)
    fit_seconds = time.perf_counter() - started
    converged = not any(issubclass(w.category, sklearn.exceptions.ConvergenceWarning) for w in caught)

    model = pipeline.named_steps["model"]
    started = time.perf_counter()
    encoded_train = pipeline.named_steps["encode"].transform(X)
    encode_seconds = time.perf_counter() - started
    train_margins = np.asarray(encoded_train @ model.coef_[0] + model.intercept_[0]).ravel()
    weights = model.coef_[0]
    objective = (np.sum(np.logaddexp(0.0, train_margins) - y * train_margins) + 0.5 / args.c * float(weights @ weights)) / len(y)
    holdout_margins = pipeline.decision_function(holdout[features])
    holdout_labels = holdout[args.target].to_numpy(dtype=np.float64)
    print(
        json.dumps(
            {
                "side": "scikit-learn",
                "fitSeconds": fit_seconds,
                "encodeSeconds": encode_seconds,
                "holdoutLogLoss": log_loss(holdout_labels, holdout_margins),
                "trainObjective": float(objective),
                "iterations": int(model.n_iter_[0]),
                "converged": converged,
                "encodedColumns": int(weights.shape[0]),
                "weights": [float(w) for w in weights],
                "intercept": float(model.intercept_[0]),
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
