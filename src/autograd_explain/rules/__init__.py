"""One rule per kind of error: ``diagnose(analysis) -> Finding``.

A rule reads the :class:`~autograd_explain.context.Analysis` (live state and
the user's source) and returns a :class:`~autograd_explain.diagnosis.Finding`;
when it cannot pin the cause down it returns ``cause="unknown"`` rather than
guess. Wording lives in the message catalogues, not here.
"""

from __future__ import annotations

from typing import Callable

from ..context import Analysis
from ..diagnosis import Finding
from . import backward_twice, inplace, no_grad_fn, non_scalar, other_kinds, python_number

Rule = Callable[[Analysis], "Finding | None"]

RULES: dict[str, Rule] = {
    "no-grad-fn": no_grad_fn.diagnose,
    "python-number": python_number.diagnose,
    "inplace-modified": inplace.diagnose,
    "non-scalar-backward": non_scalar.diagnose,
    "backward-twice": backward_twice.diagnose,
}
RULES.update(other_kinds.RULES)


def run_rule(analysis: Analysis) -> Finding | None:
    """The kind's finding; ``None`` when the rule finds the error is not about autograd after all."""
    rule = RULES.get(analysis.parsed.kind)
    if rule is None:
        return Finding(analysis.parsed.kind, "unknown")
    return rule(analysis)
