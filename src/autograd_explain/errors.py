"""Recognise autograd errors from their type and message.

Messages change between torch versions (2.13 dropped the ``Backward0`` suffix
from node names in the in-place message, for instance), so every pattern is
lenient and the rules confirm what they parse with live state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class ParsedError:
    """An exception recognised as an autograd problem of one ``kind``."""

    kind: str
    message: str
    fields: Mapping[str, str] = field(default_factory=dict)


_RUNTIME_PATTERNS: tuple[tuple[str, str], ...] = (
    ("no-grad-fn", r"does not require grad and does not have a grad_fn"),
    ("inplace-modified", r"needed for gradient computation has been modified by an inplace operation"),
    ("non-scalar-backward", r"grad can be implicitly created only for (real )?scalar outputs"),
    ("backward-twice", r"(backward|go) through the graph a second time|saved (intermediate values|tensors) .* (already been )?freed"),
    ("leaf-inplace", r"leaf Variable that requires grad (is being|has been) used in an in-place operation"),
    ("view-inplace", r"is a view and (is being|its base or another view of its base has been) modified inplace|view was created in no_grad mode|view (of|was created).*(modified inplace|in-place)|is a view of a leaf Variable"),
    ("requires-grad-nonleaf", r"only change requires_grad flags of leaf variables"),
    ("dtype-no-grad", r"[Oo]nly Tensors of floating point( and complex)? dtype can require gradients"),
    ("inference-tensor", r"[Ii]nference tensors? (cannot|can't)|[Ii]nplace update to inference tensor|[Ii]nference tensor"),
    ("numpy-requires-grad", r"[Cc]an't call numpy\(\) on Tensor that requires grad"),
    ("unused-input", r"appears to not have been used in the graph"),
    ("grad-shape-mismatch", r"Mismatch in shape: grad_output\[\d+\] has a shape of"),
    ("nan-in-backward", r"Function '\w+' returned nan values in its \d+(st|nd|rd|th) output"),
    ("no-grad-input", r"One of the differentiated Tensors does not require grad"),
)

_INPLACE_DETAIL = re.compile(
    r"\[(?P<tensor_type>[\w.]+) \[(?P<shape>[\d, ]*)\]\]"
    r"(?:, which is output (?P<output_nr>\d+) of (?:\w+::)*(?P<node>\w+))?"
    r"(?:,)? is at version (?P<version>\d+); expected version (?P<expected>\d+)"
)
_NAN_DETAIL = re.compile(r"Function '(?P<node>\w+)' returned nan values in its (?P<index>\d+)")
_SHAPE_MISMATCH = re.compile(
    r"grad_output\[(?P<index>\d+)\] has a shape of (?P<grad_shape>[^\n]+?) and output\[\d+\] has a shape of (?P<out_shape>[^\n.]+)"
)
_UNUSED_INDEX = re.compile(r"Tensor at index (?P<index>\d+)")
_NO_ATTRIBUTE = re.compile(r"^'(?P<type>[\w.]+)' object has no attribute '(?P<attr>backward|grad_fn|requires_grad_|retain_grad)'")


def safe_message(exc: BaseException) -> str:
    """``str(exc)`` that never raises (an exception's ``__str__`` is user code)."""
    try:
        # the C slot itself: a subclass may define `args` as a property
        args = BaseException.args.__get__(exc)  # type: ignore[attr-defined]
    except Exception:
        return ""
    # Reading args instead of calling str(): builtin exceptions keep the text in
    # args[0]; a user subclass may override __str__ and must not run.
    if type(args) is tuple and args and issubclass(type(args[0]), str):
        return str.__str__(args[0])
    return ""


def parse_error(exc: BaseException) -> ParsedError | None:
    """Return what kind of autograd problem ``exc`` is, or ``None``."""
    message = safe_message(exc)
    if not message:
        return None
    if issubclass(type(exc), AttributeError):
        match = _NO_ATTRIBUTE.match(message)
        if match and _is_number_like(match.group("type")):
            return ParsedError("python-number", message, dict(match.groupdict()))
        return None
    if not issubclass(type(exc), RuntimeError):
        return None
    for kind, pattern in _RUNTIME_PATTERNS:
        if re.search(pattern, message):
            return ParsedError(kind, message, _details(kind, message))
    return None


_NUMBER_TYPES = frozenset({"int", "float", "bool", "complex", "list", "tuple", "decimal.Decimal", "Fraction"})


def _is_number_like(type_name: str) -> bool:
    """Python numbers, lists of them (``.tolist()``) and NumPy values; not None, str, dict..."""
    return type_name in _NUMBER_TYPES or type_name.startswith(("numpy.", "np."))


def _details(kind: str, message: str) -> dict[str, str]:
    patterns = {
        "inplace-modified": _INPLACE_DETAIL,
        "nan-in-backward": _NAN_DETAIL,
        "grad-shape-mismatch": _SHAPE_MISMATCH,
        "unused-input": _UNUSED_INDEX,
    }
    pattern = patterns.get(kind)
    if pattern is None:
        return {}
    match = pattern.search(message)
    if not match:
        return {}
    return {key: value for key, value in match.groupdict().items() if value is not None}
