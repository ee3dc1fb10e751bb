"""Names of autograd nodes as users know them (``ExpBackward0`` -> ``exp``).

Pure string functions with a per-name cache; no torch objects are kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Autograd node names whose user-facing name is not simply the snake_case stem.
_SPECIAL: dict[str, str] = {
    "AccumulateGrad": "leaf",
    "Addmm": "linear",
    "Mm": "matmul",
    "Bmm": "bmm",
    "Baddbmm": "baddbmm",
    "Convolution": "conv",
    "ConvolutionBackward": "conv",
    "NativeLayerNorm": "layer_norm",
    "NativeBatchNorm": "batch_norm",
    "CudnnBatchNorm": "batch_norm",
    "NativeGroupNorm": "group_norm",
    "NativeDropout": "dropout",
    "MaxPool2DWithIndices": "max_pool2d",
    "MaxPool1DWithIndices": "max_pool1d",
    "MaxPool3DWithIndices": "max_pool3d",
    "AdaptiveAvgPool2D": "adaptive_avg_pool2d",
    "AdaptiveAvgPool1D": "adaptive_avg_pool1d",
    "AvgPool2D": "avg_pool2d",
    "UnsafeView": "view",
    "ReshapeAlias": "reshape",
    "T": "t",
    "SplitWithSizes": "split",
    "UnsafeSplit": "split",
    "NllLoss": "nll_loss",
    "NllLoss2D": "nll_loss2d",
    "MseLoss": "mse_loss",
    "LogSoftmax": "log_softmax",
    "ScaledDotProductEfficientAttention": "scaled_dot_product_attention",
    "ScaledDotProductFlashAttentionForCpu": "scaled_dot_product_attention",
    "Rsub": "rsub",
    "Relu": "relu",
    "Gelu": "gelu",
    "Silu": "silu",
}

#: Ops that only change how a tensor is viewed; collapsed into edges by default.
SHAPE_OPS: frozenset[str] = frozenset({
    "ViewBackward0", "ReshapeAliasBackward0", "UnsafeViewBackward0", "TBackward0",
    "TransposeBackward0", "TransposeBackward1", "PermuteBackward0", "ExpandBackward0",
    "SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2", "SqueezeBackward3",
    "UnsqueezeBackward0", "AliasBackward0", "CloneBackward0", "ViewAsRealBackward0",
    "ViewAsComplexBackward0", "AsStridedBackward0", "AsStridedBackward1",
    "ExpandAsBackward0", "FlattenBackward0", "UnflattenBackward0",
})

_SUFFIX = re.compile(r"Backward\d*$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=4096)
def op_label(node_name: str) -> str:
    """The short name users know for an autograd node name.

    ``ExpBackward0`` -> ``exp``, ``AddmmBackward0`` -> ``linear``,
    ``NativeLayerNormBackward0`` -> ``layer_norm``; custom ``Function``
    nodes (``MyFnBackward``) keep their class name without the suffix.
    """
    stem = _SUFFIX.sub("", node_name) or node_name
    if stem in _SPECIAL:
        return _SPECIAL[stem]
    if node_name.startswith("torch::") or "::" in stem:
        return stem.rsplit("::", 1)[-1]
    return _CAMEL.sub("_", stem).lower()


def conv_label(weight_shape: tuple[int, ...] | None) -> str:
    """``conv1d``/``conv2d``/``conv3d`` from the weight's rank, else ``conv``."""
    if weight_shape is not None and 3 <= len(weight_shape) <= 5:
        return f"conv{len(weight_shape) - 2}d"
    return "conv"
