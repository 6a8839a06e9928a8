"""The Great Expectations side of bench/contract-vs-great-expectations.ts: one validation of one
Parquet file in this process, one JSON line out.

    python bench/contract_great_expectations.py DATA.parquet CONTRACT.json [--result-format SUMMARY]
    python bench/contract_great_expectations.py --info

CONTRACT.json is our data contract with its defaults filled in (what src/spec/schema.ts's
DataContract parses to). Each of our checks becomes the expectation a Great Expectations user
would write for it, tagged with our check's name and column in `meta`:

    min_rows / max_rows  ExpectTableRowCountToBeBetween(min_value / max_value)
    column_present       ExpectColumnToExist
    type                 ExpectColumnValuesToBeInTypeList(type_list = the pandas dtypes of that type)
    range                ExpectColumnValuesToBeBetween(min_value, max_value)   (numeric columns only, as ours)
    allowed_values       ExpectColumnValuesToBeInSet(value_set)
    null_share           ExpectColumnValuesToNotBeNull(mostly = 1 - maxNullShare)
    unique               ExpectColumnValuesToBeUnique

The frame is read with pandas' nullable dtypes (dtype_backend="numpy_nullable"): with the default
numpy dtypes an integer column with a null becomes float64 and a boolean one object, and the
type expectations would fail where the file's types are right.

Timed separately: reading the Parquet file into pandas; setting up the context, data source, batch
and suite; and batch.validate(suite). Not timed: importing great_expectations.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import_started = time.perf_counter()
import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

import_seconds = time.perf_counter() - import_started

# The pandas dtypes (nullable and numpy) that hold values of each contract type.
INTEGER_DTYPES = [f"{prefix}{bits}" for prefix in ("int", "uint") for bits in (8, 16, 32, 64)] + [f"{prefix}{bits}Dtype" for prefix in ("Int", "UInt") for bits in (8, 16, 32, 64)]
FLOAT_DTYPES = ["float32", "float64", "Float32Dtype", "Float64Dtype"]
TYPE_LISTS = {
    "string": ["object", "StringDtype"],
    "integer": INTEGER_DTYPES,
    "number": INTEGER_DTYPES + FLOAT_DTYPES,
    "boolean": ["bool", "BooleanDtype"],
}


def expectations_for(contract: dict, frame: pd.DataFrame) -> list:
    """Our checks, in our order, as (check, column, expectation)."""
    out = [("min_rows", None, gxe.ExpectTableRowCountToBeBetween(min_value=contract["minRows"], max_value=None))]
    if contract.get("maxRows") is not None:
        out.append(("max_rows", None, gxe.ExpectTableRowCountToBeBetween(min_value=None, max_value=contract["maxRows"])))
    for name, column in contract["columns"].items():
        out.append(("column_present", name, gxe.ExpectColumnToExist(column=name)))
        if name not in frame.columns:
            continue
        out.append(("type", name, gxe.ExpectColumnValuesToBeInTypeList(column=name, type_list=TYPE_LISTS[column["type"]])))
        is_numeric = pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_bool_dtype(frame[name])
        if (column.get("min") is not None or column.get("max") is not None) and is_numeric:
            out.append(("range", name, gxe.ExpectColumnValuesToBeBetween(column=name, min_value=column.get("min"), max_value=column.get("max"))))
        if column.get("allowed") is not None:
            out.append(("allowed_values", name, gxe.ExpectColumnValuesToBeInSet(column=name, value_set=column["allowed"])))
        out.append(("null_share", name, gxe.ExpectColumnValuesToNotBeNull(column=name, mostly=1.0 - column["maxNullShare"])))
        if column.get("unique"):
            out.append(("unique", name, gxe.ExpectColumnValuesToBeUnique(column=name)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?")
    parser.add_argument("contract", nargs="?")
    parser.add_argument("--result-format", default="SUMMARY")
    parser.add_argument("--info", action="store_true")
    args = parser.parse_args()
    if args.info:
        import numpy as np
        import pyarrow

        print(json.dumps({"great_expectations": gx.__version__, "pandas": pd.__version__, "numpy": np.__version__, "pyarrow": pyarrow.__version__, "python": sys.version.split()[0]}))
        return

    with open(args.contract) as handle:
        contract = json.load(handle)

    started = time.perf_counter()
    frame = pd.read_parquet(args.data, dtype_backend="numpy_nullable")
    read_seconds = time.perf_counter() - started

    started = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    # No progress bars on stderr (they also cost a little time).
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch = context.data_sources.add_pandas("bench").add_dataframe_asset("frame").add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name="contract")
    planned = expectations_for(contract, frame)
    for check, column, expectation in planned:
        expectation.meta = {"check": check, "column": column}
        suite.add_expectation(expectation)
    suite = context.suites.add(suite)
    setup_seconds = time.perf_counter() - started

    started = time.perf_counter()
    result = batch.validate(suite, result_format=args.result_format)
    validate_seconds = time.perf_counter() - started

    checks = []
    for item in result.results:
        meta = item.expectation_config.meta or {}
        details = item.result or {}
        checks.append(
            {
                "check": meta.get("check"),
                "column": meta.get("column"),
                "passed": bool(item.success),
                "unexpectedCount": details.get("unexpected_count"),
                "observed": str(details.get("observed_value")) if details.get("observed_value") is not None else None,
                "exception": (item.exception_info or {}).get("exception_message") if isinstance(item.exception_info, dict) and item.exception_info.get("raised_exception") else None,
            }
        )
    print(
        json.dumps(
            {
                "side": "great-expectations",
                "rows": len(frame),
                "importSeconds": import_seconds,
                "readSeconds": read_seconds,
                "setupSeconds": setup_seconds,
                "checkSeconds": validate_seconds,
                "checks": checks,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
