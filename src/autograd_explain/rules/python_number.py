"""``AttributeError: 'float' object has no attribute 'backward'``.

The value ``backward()`` was called on is a Python number (or an array): find
where on its provenance a tensor was turned into one.
"""

from __future__ import annotations

from .. import live
from ..context import Analysis
from ..diagnosis import Finding
from .. import fixes
from .common import finding

KIND = "python-number"
_CAUSES = {"item": "item", "tolist": "tolist", "numpy": "numpy"}


def diagnose(analysis: Analysis) -> Finding | None:
    """The conversion to a number, or ``None`` when the object is not a number at all.

    ``losses.backward()`` on a list of loss tensors, or ``loss = F.mse_loss(p, y),``
    (a stray comma makes a 1-tuple) raise the same AttributeError, but nothing
    lost its graph: that is an ordinary Python mistake, not this kind.
    """
    if _holds_tensors(analysis.target_value):
        return None
    stmt = analysis.raising_stmt
    target = analysis.target_node
    type_name = analysis.parsed.fields.get("type", "float")
    if stmt is None or target is None:
        return finding(analysis, KIND, "unknown", [analysis.target_text], None, type=type_name)
    value = analysis.provenance.evaluate(target, stmt)
    conversion = value.conversion
    if conversion is None:
        return finding(analysis, KIND, "unknown", [analysis.target_text], None, type=type_name)
    cause = _CAUSES.get(conversion.cause)
    if cause is None:
        cause = "numpy" if conversion.cause.startswith(("np.", "numpy.")) else "python_math"
    variable = conversion.variable or analysis.target_text
    kept = fixes.remove_cut(conversion.stmt.line, "item") if cause in ("item", "tolist") else conversion.stmt.line
    return finding(analysis, KIND, cause, [variable], conversion.stmt, [conversion.upstream],
                   op=conversion.op, upstream=conversion.upstream or "the tensor", type=type_name,
                   fixed=kept)


def _holds_tensors(value: object) -> bool:
    """A list, tuple or dict with a tensor among its first elements (read without running user code)."""
    if type(value) in (list, tuple):
        items = list(value[:64])
    elif type(value) is dict:
        items = list(value.values())[:64]
    else:
        return False
    return any(live.is_tensor(item) or _holds_tensors(item) for item in items)
