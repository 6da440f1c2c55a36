"""The import graph of `src/aegismatrix`, read from the source text (nothing is imported).

An edge `a -> b` is any import statement in module `a` that names module `b` or a name inside it: at module
level, inside a function (a deferred import) or under `if TYPE_CHECKING`, since each one couples `a` to `b`.
`from pkg import sub` counts as an edge to the submodule `pkg.sub` when it is one, otherwise to `pkg`.
Imports built from strings (`importlib.import_module(f"...")`) are not seen.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "aegismatrix"


def module_files(src: Path = SRC) -> dict[str, Path]:
    """{dotted module name: file} for every module of the package."""
    out = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _known(name: str, modules: dict) -> str | None:
    """The longest module prefix of `name` (a dotted name that may end in a function or class)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.AST, module: str, is_package: bool, modules: dict) -> list[str]:
    if isinstance(node, ast.Import):
        return [_known(alias.name, modules) for alias in node.names if alias.name.startswith(PACKAGE)]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: from the package of `module`, `level - 1` steps up
        here = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
    if not base.startswith(PACKAGE):
        return []
    return [_known(f"{base}.{alias.name}", modules) if f"{base}.{alias.name}" in modules
            else _known(base, modules) for alias in node.names]


@lru_cache(maxsize=4)
def import_graph(src: Path = SRC) -> dict[str, dict[str, int]]:
    """{module: {imported module: first line number}}, without self-edges."""
    modules = module_files(src)
    graph = {}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: dict[str, int] = {}
        for node in ast.walk(ast.parse(path.read_text())):
            for target in _targets(node, module, is_package, modules):
                if target and target != module:
                    edges[target] = min(edges.get(target, node.lineno), node.lineno)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, dict]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(graph.get(child, {}))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def layer_of(module: str, layers: list[tuple[str, ...]]) -> int | None:
    """The index of the layer naming `module` or its nearest enclosing package (the most specific name)."""
    best, depth = None, -1
    for i, members in enumerate(layers):
        for member in members:
            name = f"{PACKAGE}.{member}" if member else PACKAGE
            inside = module == name or (member and module.startswith(name + "."))
            if inside and name.count(".") > depth:
                best, depth = i, name.count(".")
    return best
