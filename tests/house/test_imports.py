"""The package's import structure: no import cycles, and every import runs down the layer order below.

Layers, top to bottom (a module may import its own layer and any layer below, never one above):
1. entry points and Kedro wiring: `__main__`, `settings`, `pipeline_registry`, `hooks` and
   `comparison_log` (Kedro hooks), `parameters` (derives
   parameters from the pipelines' namespaces), `benchmarks`, `live`, `runner`, `tracking`, and
   `pipeline_docs` (a `python -m` tool that opens a Kedro session and writes docs/pipelines.md);
2. `pipelines`: the Kedro pipelines and their nodes;
3. what the nodes assemble and store through: `payload`, `reporting`, `datasets`, `dashboard`;
4. `modelling`: the training template, evaluation, selection; `engines`: each engine's declaration
   (its signals, candidates, payload section, and how its instances follow from its parameters);
5. `ledger`, `models`, `options`, `features`: the store of served signals, estimators, option chains,
   features;
6. `logs`, `labels`, `releases`: run logging, label definitions, atomic writes and release manifests;
7. `market`: index data, the NSE calendar and session clock;
8. `contracts` and the package root (`__version__`).
A new top-level package fails `test_every_module_has_a_layer` until it is placed here.
"""

from __future__ import annotations

from tests.house.import_graph import PACKAGE, cycles, import_graph, layer_of

LAYERS: list[tuple[str, ...]] = [
    ("__main__", "settings", "pipeline_registry", "hooks", "comparison_log", "parameters", "benchmarks",
     "live", "runner", "tracking", "pipeline_docs"),
    ("pipelines",),
    ("payload", "reporting", "datasets", "dashboard"),
    ("modelling", "engines"),
    ("ledger", "models", "options", "features"),
    ("logs", "labels", "releases"),
    ("market",),
    ("contracts", ""),
]

# Known exceptions in files this change does not own, to be removed as their owners' branches land:
# (importer, imported): why it exists and what removes it.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}
KNOWN_CYCLES: list[list[str]] = []
# between top-level packages (a loop of modules in different packages)
KNOWN_PACKAGE_CYCLES: list[list[str]] = []


def _short(module: str) -> str:
    return module.removeprefix(PACKAGE + ".")


def test_every_module_has_a_layer():
    missing = [m for m in import_graph() if layer_of(m, LAYERS) is None]
    assert not missing, f"place these in LAYERS (tests/house/test_imports.py): {missing}"


def test_no_import_cycles():
    found = [[_short(m) for m in c] for c in cycles(import_graph())]
    assert sorted(found) == sorted(KNOWN_CYCLES), f"import cycles: {found}"


def test_no_import_cycles_between_packages():
    top = {m: ".".join(m.split(".")[:2]) for m in import_graph()}
    packages: dict[str, dict[str, int]] = {}
    for module, edges in import_graph().items():
        own = packages.setdefault(top[module], {})
        own.update({top[b]: line for b, line in edges.items() if top[b] != top[module]})
    found = [[_short(m) for m in c] for c in cycles(packages)]
    assert sorted(found) == sorted(KNOWN_PACKAGE_CYCLES), f"package cycles: {found}"


def upward_imports() -> dict[tuple[str, str], int]:
    """{(importer, imported): line} for every import from a lower layer into a higher one."""
    graph = import_graph()
    return {(_short(a), _short(b)): line for a, edges in graph.items() for b, line in edges.items()
            if None not in (layer_of(a, LAYERS), layer_of(b, LAYERS))
            and layer_of(b, LAYERS) < layer_of(a, LAYERS)}


def test_every_import_runs_down_the_layers():
    upward = upward_imports()
    unexpected = {f"{a} (line {line}) -> {b}" for (a, b), line in upward.items()
                  if (a, b) not in KNOWN_UPWARD}
    assert not unexpected, f"imports running up the layer order: {sorted(unexpected)}"
    stale = set(KNOWN_UPWARD) - set(upward)
    assert not stale, f"fixed: remove from KNOWN_UPWARD: {sorted(stale)}"


def test_the_checks_see_cycles_and_upward_imports(tmp_path):
    """The graph sees deferred imports, relative imports and `from pkg import submodule`."""
    pkg = tmp_path / PACKAGE
    (pkg / "market").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "market" / "__init__.py").write_text("")
    (pkg / "market" / "a.py").write_text("def f():\n    from aegismatrix.market import b\n")
    (pkg / "market" / "b.py").write_text("from . import a\nfrom aegismatrix.pipelines import x\n")
    (pkg / "pipelines.py").write_text("")
    graph = import_graph(tmp_path)
    assert cycles(graph) == [["aegismatrix.market.a", "aegismatrix.market.b"]]
    low, high = "aegismatrix.market.b", "aegismatrix.pipelines"
    assert layer_of(high, LAYERS) < layer_of(low, LAYERS) and high in graph[low]
