"""Each engine declared once: its served signals with their candidates and baselines, its payload
section, and how its template instances follow from its parameter section
(conf/base/parameters_<engine>.yml).

The instances themselves are YAML: every model block (a `label` and an `estimator`) directly under
an engine's section is one template instance, in the order of the file, except the names its
`benchmark_only` lists (blocks scored by the benchmarks, not trained by the pipeline); direction
adds the members its `horizons` layout generates from `families`. Pipelines, derived parameters, the
validator, reporting and the docs read these declarations; nothing else lists namespaces.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

ENGINES = ("direction", "seller", "buyer")


def is_model_block(value: object) -> bool:
    """A template instance's block: it has a label and an estimator."""
    return isinstance(value, dict) and "label" in value and "estimator" in value


@dataclass(frozen=True)
class Instance:
    """One template instance: namespace `<engine>.<name>`, its feature set, pooled training or
    not."""

    namespace: str
    feature_set: str
    pooled: bool = False

    @property
    def name(self) -> str:
        return self.namespace.split(".", 1)[1]


@dataclass(frozen=True)
class Signal:
    """A served signal: the fixed model that serves it, or the parameter key listing its candidates
    (the first serves its primary baseline when none has edge)."""

    name: str
    model: str | None = None
    # dotted key in the engine's section, e.g. `signals.breakout_candidates`
    candidates: str | None = None

    def models(self, section: dict) -> list[str]:
        """The model names that may serve this signal, first = the one whose baseline is the
        fallback."""
        if self.model is not None:
            return [self.model]
        key = str(self.candidates)
        if "<h>" in key:  # one entry per served horizon: its families as members `<family>_h<h>`
            return [f"{f}_h{h}" for h in (section.get("horizons") or {})
                    for f in _as_list(_lookup(section, key.replace("<h>", str(h))))]
        return _as_list(_lookup(section, key))

    def baseline(self, section: dict, blocks: dict[str, dict]) -> str | None:
        """The primary baseline served when no model of this signal has edge."""
        first = next(iter(self.models(section)), None)
        return (blocks.get(first) or {}).get("primary_baseline") if first else None


@dataclass(frozen=True)
class Engine:
    """An engine's declaration; `instances`/`research` map its parameter section to template
    instances."""

    name: str
    signals: tuple[Signal, ...]
    payload_section: str  # "module:function" of the engine's section of aegismatrix.json
    instances: Callable[[dict], list[Instance]]
    research: Callable[[dict], list[Instance]] = field(default=lambda section: [])
    # {member name: (family, horizon)} whose blocks parameters/derive.py generates from `families`
    members: Callable[[dict], dict[str, tuple[str, int]]] = field(default=lambda section: {})

    def namespaces(self, section: dict, research: bool = False) -> list[str]:
        found = self.instances(section) + (self.research(section) if research else [])
        return [i.namespace for i in found]

    def signal_models(self, section: dict) -> dict[str, str]:
        """{signal: namespace of the model that explains it by default} (the first candidate for a
        choice)."""
        return {s.name: f"{self.name}.{s.models(section)[0]}" for s in self.signals
                if s.models(section)}

    def section_function(self) -> Callable:
        """The payload section builder (imported on use: the declaration sits below the
        pipelines)."""
        module, _, function = self.payload_section.partition(":")
        return getattr(importlib.import_module(module), function)


def _lookup(section: dict, key: str) -> object:
    value: object = section
    for part in key.split("."):
        value = (value.get(part, value.get(int(part)) if part.isdigit() else None)
                 if isinstance(value, dict) else None)
    return value


def _as_list(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def block_instances(engine: str, section: dict, skip: set[str] = frozenset()) -> list[Instance]:
    """Every model block directly under `section`, in file order, except `benchmark_only` and
    `skip`."""
    left_out = set(section.get("benchmark_only") or []) | set(skip)
    return [Instance(f"{engine}.{name}", block["feature_set"], "pool" in block)
            for name, block in section.items() if is_model_block(block) and name not in left_out]


def declaration(engine: str) -> Engine:
    """The declaration of `engine` (aegismatrix.engines.<engine>.ENGINE)."""
    if engine not in ENGINES:
        raise KeyError(f"unknown engine {engine!r}; engines: {list(ENGINES)}")
    return importlib.import_module(f"aegismatrix.engines.{engine}").ENGINE


def model_namespaces(engine: str, params: dict | None = None, research: bool = True) -> list[str]:
    """The template namespaces of `engine` under `params` (default: the current project's
    parameters, aegismatrix.engines.structure), research-only members included unless
    `research=False`."""
    if params is None:
        from aegismatrix.engines.structure import structure_parameters

        params = structure_parameters()
    return declaration(engine).namespaces(params.get(engine) or {}, research=research)
