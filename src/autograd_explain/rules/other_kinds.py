"""Rules for the contract's kinds beyond the core five (filled in by issue 5)."""

from __future__ import annotations

from typing import Callable

from ..context import Analysis
from ..diagnosis import Finding

RULES: dict[str, Callable[[Analysis], Finding]] = {}
