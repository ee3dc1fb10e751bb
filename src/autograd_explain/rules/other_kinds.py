"""Rules for the contract's kinds beyond the core five (issue 5).

Each kind's rule lives in its own module; this table registers them.
"""

from __future__ import annotations

from typing import Callable

from ..context import Analysis
from ..diagnosis import Finding
from . import (grad_inputs, inference_tensor, leaf_inplace, nan_backward, numpy_requires_grad,
               requires_grad_flags, view_inplace)

RULES: dict[str, Callable[[Analysis], Finding]] = {
    "leaf-inplace": leaf_inplace.diagnose,
    "view-inplace": view_inplace.diagnose,
    "requires-grad-nonleaf": requires_grad_flags.diagnose_nonleaf,
    "dtype-no-grad": requires_grad_flags.diagnose_dtype,
    "inference-tensor": inference_tensor.diagnose,
    "numpy-requires-grad": numpy_requires_grad.diagnose,
    "unused-input": grad_inputs.diagnose_unused,
    "no-grad-input": grad_inputs.diagnose_no_grad_input,
    "grad-shape-mismatch": grad_inputs.diagnose_shape,
    "nan-in-backward": nan_backward.diagnose,
}
