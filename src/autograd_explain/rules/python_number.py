"""``AttributeError: 'float' object has no attribute 'backward'``.

The value ``backward()`` was called on is a Python number (or an array): find
where on its provenance a tensor was turned into one.
"""

from __future__ import annotations

from ..context import Analysis
from ..diagnosis import Finding
from .. import fixes
from .common import finding

KIND = "python-number"
_CAUSES = {"item": "item", "tolist": "tolist", "numpy": "numpy"}


def diagnose(analysis: Analysis) -> Finding:
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
