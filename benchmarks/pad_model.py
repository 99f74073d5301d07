"""Pad a text model to a newer schema with zero weights, to time a schema's feature pass alone.

    python benchmarks/pad_model.py data/model-text.json text-8 /tmp/M8zero
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_model_ab.py /tmp/M7zero.json /tmp/M8zero.json

The padded model computes every column of the new schema and predicts exactly what the
original model predicts, so an A/B of two padded models measures the CPU cost of the columns
and nothing else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier.model import BlockModel  # noqa: E402
from features.text_schema import TEXT_SCHEMAS  # noqa: E402


def pad(model: BlockModel, schema: str) -> BlockModel:
    """``model`` with first-layer rows of zeros (and mean 0, scale 1) for ``schema``'s extra columns."""
    names = TEXT_SCHEMAS[schema]
    k = len(names) - len(model.feature_names)
    if k < 0 or tuple(names[: len(model.feature_names)]) != tuple(model.feature_names):
        raise SystemExit(f"schema {schema} does not extend the model's {model.schema}")

    def grow(ws: list[np.ndarray]) -> list[np.ndarray]:
        return [np.vstack([ws[0], np.zeros((k, ws[0].shape[1]), np.float32)]), *ws[1:]]

    model.weights = grow(model.weights)
    model.members = [(grow(ws), bs) for ws, bs in model.members]
    model.mean = np.concatenate([model.mean, np.zeros(k, np.float32)])
    model.scale = np.concatenate([model.scale, np.ones(k, np.float32)])
    model.feature_names, model.schema = names, schema
    return model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("schema", choices=sorted(TEXT_SCHEMAS))
    ap.add_argument("out", type=Path, help="output stem (writes .json and .npz)")
    args = ap.parse_args(argv)
    pad(BlockModel.load(args.model), args.schema).save(args.out)
    print(f"{args.out}.json: schema {args.schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
