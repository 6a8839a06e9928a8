"""Loads a registered model with MLflow's Python client and prints its probabilities as JSON.

    python mlflow-pyfunc-predict.py <tracking uri> <model uri> <rows.csv>

`mlflow.pyfunc.load_model(<model uri>)` (e.g. models:/fraud@champion), then one feed per model
input, built from the CSV column of the same name as the signature's dtype and shape say
(float32 columns with "" as NaN, text as objects), predict, and print probabilities[:, 1].
"""
import json
import sys

import mlflow
import numpy as np
import pandas as pd

tracking_uri, model_uri, rows_csv = sys.argv[1:4]
mlflow.set_tracking_uri(tracking_uri)
model = mlflow.pyfunc.load_model(model_uri)
frame = pd.read_csv(rows_csv, dtype=str, keep_default_na=False)
feeds = {}
for spec in model.metadata.get_input_schema().inputs:
    values = frame[spec.name]
    if spec.type == np.dtype(object):
        column = values.astype(object).to_numpy()
    else:
        lowered = values.str.lower().replace({"true": "1", "false": "0", "": "nan"})
        column = pd.to_numeric(lowered).to_numpy().astype(spec.type)
    feeds[spec.name] = column.reshape(spec.shape[1:] and (-1, *spec.shape[1:]) or (-1,))
outputs = model.predict(feeds)
probabilities = np.asarray(outputs["probabilities"])
print(json.dumps({"flavors": sorted(model.metadata.flavors), "probabilities": probabilities[:, -1].astype(float).tolist()}))
