"""Renderers: a Diagnosis -> plain text, HTML (Jupyter) or a rich panel (terminal).

They only read the Diagnosis; labels come from the message catalogue of the
Diagnosis' language.
"""

from __future__ import annotations

from typing import Mapping

from ..diagnosis import Diagnosis
from ..messages import catalogue, fill

FACT_ORDER = ("type", "requires_grad", "grad_fn", "is_leaf", "_version", "shape", "dtype", "device",
              "is_inference", "value", "parameters", "trainable")


def labels(diagnosis: Diagnosis) -> Mapping[str, str]:
    return catalogue(diagnosis.language)["_common"]


def blamed_location(diagnosis: Diagnosis) -> str:
    where = diagnosis.cell or diagnosis.filename or "?"
    if diagnosis.lineno is None:
        return where
    return fill(labels(diagnosis)["location"], {"cell": where, "lineno": diagnosis.lineno})


def fact_items(facts: Mapping[str, object]) -> list[tuple[str, str]]:
    keys = [k for k in FACT_ORDER if k in facts] + sorted(k for k in facts if k not in FACT_ORDER)
    return [(k, str(facts[k])) for k in keys if not (k == "is_inference" and facts[k] is False)]
