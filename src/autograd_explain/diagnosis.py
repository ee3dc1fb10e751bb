"""The diagnosis contract: plain data that every renderer and test reads.

A rule produces a :class:`Finding` (what is wrong, where, and the parameters of
the wording); :func:`autograd_explain.wording.build_diagnosis` turns it into the
public :class:`Diagnosis` in the chosen language. Nothing here holds a tensor,
a frame or an exception: only names, numbers and text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

#: kind -> the causes the contract names for it (``unknown`` is always allowed).
KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "no-grad-fn": (
            "no_grad", "inference_mode", "grad_disabled", "detach", "data_attribute",
            "item", "numpy_roundtrip", "tensor_rewrap", "non_differentiable_op",
            "frozen_parameters", "inputs_without_grad", "unknown",
        ),
        "python-number": ("item", "tolist", "numpy", "python_math", "unknown"),
        "inplace-modified": (
            "augmented_assignment", "inplace_method", "setitem", "inplace_module",
            "out_argument", "optimizer_step", "unknown",
        ),
        "non-scalar-backward": ("unreduced_output", "reduction_none", "complex_output", "unknown"),
        "backward-twice": (
            "second_backward", "state_carried_across_iterations", "shared_subgraph", "unknown",
        ),
        "leaf-inplace": ("parameter_update", "leaf_write", "view_of_leaf_write", "unknown"),
        "view-inplace": ("multi_output_view", "view_from_no_grad", "custom_function_view", "unknown"),
        "requires-grad-nonleaf": ("nonleaf_flag", "unknown"),
        "dtype-no-grad": ("integer_tensor", "bool_tensor", "unknown"),
        "inference-tensor": ("inference_mode_tensor", "unknown"),
        "numpy-requires-grad": ("needs_detach", "unknown"),
        "unused-input": ("not_in_graph", "unknown"),
        "grad-shape-mismatch": ("gradient_argument", "unknown"),
        "nan-in-backward": ("log_of_nonpositive", "sqrt_at_zero", "division_by_zero", "nan_input", "unknown"),
        "no-grad-input": ("input_without_grad", "unknown"),
    }
)

Facts = Mapping[str, Mapping[str, object]]


@dataclass(frozen=True)
class Location:
    """A place in a cell or file; worded by the catalogue of the chosen language."""

    label: str
    lineno: int

    def __str__(self) -> str:
        return f"{self.label}, line {self.lineno}"


@dataclass(frozen=True)
class Finding:
    """What a rule found, before any wording.

    ``params`` fills the placeholders of the message catalogue (``{var}``,
    ``{shape}``...): strings and numbers only.
    """

    kind: str
    cause: str
    variables: tuple[str, ...] = ()
    lineno: int | None = None
    filename: str | None = None
    line: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)
    facts: Facts = field(default_factory=dict)
    target: str | None = None
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    """The public result of :func:`autograd_explain.explain` (see the contract).

    Attributes beyond the contract's: ``line`` (the text of the blamed line),
    ``cell`` (a label such as ``In [3]`` when the blamed line is in a notebook
    cell), ``raised_at`` (where the error was raised, ``file:line``),
    ``target`` (the expression ``backward()`` was called on), ``warnings`` (the
    popular "fixes" that only silence the error), ``evidence`` (short facts that
    support the verdict) and ``language``.
    """

    kind: str
    cause: str
    variables: tuple[str, ...]
    lineno: int | None
    filename: str | None
    title: str
    explanation: str
    fix: str
    facts: Facts
    line: str | None = None
    cell: str | None = None
    raised_at: str | None = None
    target: str | None = None
    warnings: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    language: str = "en"

    @property
    def variable(self) -> str | None:
        """The variable most to blame, or ``None``."""
        return self.variables[0] if self.variables else None
