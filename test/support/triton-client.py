"""Drives an Open Inference Protocol v2 server with the reference client, tritonclient[http].

    triton-client.py --url 127.0.0.1:8000 --model fraud --rows rows.json [--request-id-prefix p]

rows.json is a list of objects, feature name -> value (null = missing). Prints one JSON object:
server and model metadata, readiness, and the outputs of each inference call:

  json            inputs and outputs as JSON (binary_data=False), inputs shaped [n, 1]
  binary          inputs and outputs as binary tensors (binary_data=True), inputs shaped [n, 1]
  binary_default  binary inputs shaped [n], no outputs named (the client then asks for all
                  outputs in binary with the request parameter binary_data_output)

A missing number is NaN (FP64), which JSON cannot carry, so `json` is null when a row has one;
a missing category cannot be sent at all and is refused. Each call sends x-request-id
<prefix>-<call> so a gateway's prediction log can be matched to it.
"""

import argparse
import json
import sys

import numpy as np
import tritonclient.http as httpclient


def columns(rows, metadata, shape):
    """One numpy column per model input: FP64 as float64 (None -> NaN), BYTES as an object array."""
    arrays = {}
    for tensor in metadata["inputs"]:
        name, datatype = tensor["name"], tensor["datatype"]
        values = [row.get(name) for row in rows]
        if datatype == "FP64":
            array = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
        elif datatype == "BYTES":
            if any(v is None for v in values):
                raise SystemExit(f"input {name}: a missing category cannot be sent as BYTES")
            array = np.array([str(v).encode("utf-8") for v in values], dtype=np.object_)
        else:
            raise SystemExit(f"input {name}: datatype {datatype} is not handled by this driver")
        arrays[name] = (datatype, array.reshape(shape))
    return arrays


def infer(client, model, arrays, binary, request_id, name_outputs=True):
    inputs = []
    for name, (datatype, array) in arrays.items():
        tensor = httpclient.InferInput(name, list(array.shape), datatype)
        tensor.set_data_from_numpy(array, binary_data=binary)
        inputs.append(tensor)
    outputs = None
    if name_outputs:
        outputs = [httpclient.InferRequestedOutput(o, binary_data=binary) for o in ("probability", "label")]
    result = client.infer(model, inputs, outputs=outputs, headers={"x-request-id": request_id})
    response = result.get_response()
    return {
        "probability": result.as_numpy("probability").tolist(),
        "label": result.as_numpy("label").tolist(),
        "output_parameters": {o["name"]: o.get("parameters", {}) for o in response["outputs"]},
        "model_version": response.get("model_version"),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="host:port, no scheme")
    parser.add_argument("--model", required=True)
    parser.add_argument("--rows", required=True)
    parser.add_argument("--request-id-prefix", default="tritonclient")
    args = parser.parse_args()
    with open(args.rows, encoding="utf-8") as f:
        rows = json.load(f)

    client = httpclient.InferenceServerClient(url=args.url)
    try:
        metadata = client.get_model_metadata(args.model)
        n = len(rows)
        column_arrays = columns(rows, metadata, (n, 1))
        flat_arrays = columns(rows, metadata, (n,))
        has_nan = any(dt == "FP64" and np.isnan(a).any() for dt, a in column_arrays.values())
        prefix = args.request_id_prefix
        result = {
            "server_metadata": client.get_server_metadata(),
            "model_metadata": metadata,
            "server_live": client.is_server_live(),
            "server_ready": client.is_server_ready(),
            "model_ready": client.is_model_ready(args.model),
            "json": None if has_nan else infer(client, args.model, column_arrays, False, f"{prefix}-json"),
            "binary": infer(client, args.model, column_arrays, True, f"{prefix}-binary"),
            "binary_default": infer(client, args.model, flat_arrays, True, f"{prefix}-binary_default", name_outputs=False),
        }
    finally:
        client.close()
    # repr-exact floats: Python's json writes the shortest text that reads back as the same double.
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
