"""Helpers the rules share: facts of named variables, findings at a statement."""

from __future__ import annotations

import re

import ast
from typing import Any, Iterable, Iterator

from .. import live
from ..context import Analysis
from ..diagnosis import Finding, Location
from ..source import Stmt, dotted_name


def facts_for(analysis: Analysis, names: Iterable[str | None], scope: str | None = None) -> dict[str, dict[str, object]]:
    """Live facts of each name that resolves (tensors, numbers, modules)."""
    facts: dict[str, dict[str, object]] = {}
    for name in names:
        if not name or name in facts:
            continue
        value = analysis.provenance.live_value(name, analysis.scope if scope is None else scope)
        if value is live.MISSING and scope is not None:
            value = analysis.provenance.live_value(name, None)
        if value is live.MISSING:
            continue
        try:
            facts[name] = live.value_facts(value)
        except Exception:
            continue
    return facts


def finding(analysis: Analysis, kind: str, cause: str, variables: Iterable[str | None],
            stmt: Stmt | None, fact_names: Iterable[str | None] = (), **params: object) -> Finding:
    """A Finding blaming ``stmt`` (or the raising statement when ``stmt`` is None)."""
    looked_up = tuple(dict.fromkeys(v for v in variables if v))
    names = tuple(dict.fromkeys(as_written(v) for v in looked_up))
    where = stmt or analysis.raising_stmt
    base_params: dict[str, object] = {
        "var": names[0] if names else (analysis.target_text or "the tensor"),
        "target": analysis.target_text or (names[0] if names else "the tensor"),
        "line": where.line if where else "",
        "lineno": where.lineno if where else "?",
        "where": location(where),
    }
    base_params.update({k: v for k, v in params.items() if v is not None})
    scope = where.scope if where else None
    return Finding(
        kind=kind,
        cause=cause,
        variables=names,
        lineno=where.lineno if where else None,
        filename=where.filename if where else None,
        line=where.line if where else None,
        params=base_params,
        facts={as_written(k): v for k, v in
               facts_for(analysis, list(looked_up) + list(fact_names) + [analysis.target_text], scope).items()},
        target=analysis.target_text,
    )


_INDEX_COMPONENT = re.compile(r"\.(\d+)(?=\.|$)")


def as_written(name: str) -> str:
    """``net.2`` / ``net.0.weight`` (torch's module paths) as the user writes them: ``net[2]``, ``net[0].weight``."""
    return _INDEX_COMPONENT.sub(r"[\1]", name) if "." in name else name


def location(stmt: Stmt | None) -> Location | str:
    """Where ``stmt`` is (the wording turns it into "In [3], line 2" or "In [3] 第 2 行")."""
    if stmt is None:
        return "?"
    return Location(stmt.unit.label or stmt.filename, stmt.lineno)


def calls_in(node: ast.AST) -> Iterator[ast.Call]:
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            yield child


def names_read(node: ast.AST) -> set[str]:
    """Names (and dotted attribute names) an expression or statement reads."""
    found: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            found.add(child.id)
        elif isinstance(child, ast.Attribute) and isinstance(child.ctx, ast.Load):
            dotted = dotted_name(child)
            if dotted and "()" not in dotted:
                found.add(dotted)
    return found


def rhs_of(stmt: Stmt) -> ast.AST | None:
    node = stmt.node
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        return node.value
    if isinstance(node, ast.Expr):
        return node.value
    if isinstance(node, ast.Return):
        return node.value
    return None


def dependency_closure(analysis: Analysis, root: ast.expr, stmt: Stmt, limit: int = 200) -> dict[str, Stmt]:
    """Every variable ``root`` (read at ``stmt``) came from, with the statement that bound it."""
    closure: dict[str, Stmt] = {}
    todo: list[tuple[str, Stmt]] = [(name, stmt) for name in names_read(root)]
    while todo and len(closure) < limit:
        name, at = todo.pop()
        definition = analysis.timeline.definition_before(name, at.scope, at.index)
        if definition is None or name in closure:
            continue
        closure[name] = definition.stmt
        value = rhs_of(definition.stmt)
        if value is not None:
            todo.extend((n, definition.stmt) for n in names_read(value))
    return closure


def live_tensor(analysis: Analysis, name: str, scope: str | None = None) -> Any:
    value = analysis.provenance.live_value(name, analysis.scope if scope is None else scope)
    return value if live.is_tensor(value) else None
