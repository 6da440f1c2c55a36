"""The direction engine (AegisCore): per horizon, stacked UP / NEUTRAL / DOWN probabilities and the
move's size with its interval; the market regime and the opening gap.

Its served horizons are YAML (`direction.horizons` in conf/base/parameters_direction.yml): each
names the classifier families stacked at that horizon, its magnitude family and families only
reported beside it. Member `<family>_h<h>` gets its block from `direction.families.<family>`
(parameters/derive.py).
"""

from __future__ import annotations

from aegismatrix.engines import Engine, Instance, Signal, block_instances


def _horizons(section: dict) -> list[tuple[int, dict]]:
    return sorted(((int(h), spec or {}) for h, spec in (section.get("horizons") or {}).items()),
                  key=lambda item: item[0])


def layout(section: dict) -> dict:
    """{"horizons": {"<h>": {"classifiers": [...], "magnitude": ..., "reported": [...]}}, "all":
    [...]}: the served horizons with their member names, and every instance name in wiring order."""
    horizons = {str(h): {"classifiers": [f"{f}_h{h}" for f in spec.get("classifiers") or []],
                         "magnitude": f"{spec['magnitude']}_h{h}",
                         "reported": [f"{f}_h{h}" for f in spec.get("reported") or []]}
                for h, spec in _horizons(section)}
    return {"horizons": horizons, "all": [i.name for i in instances(section)]}


def members(section: dict, research: bool = True) -> dict[str, tuple[str, int]]:
    """{member name: (family, horizon)} of the served layout (classifiers, magnitudes, reported, in
    that order) and, with `research`, of `direction.research`."""
    out: dict[str, tuple[str, int]] = {}
    spans = _horizons(section)
    for role in ("classifiers", "magnitude", "reported"):
        for h, spec in spans:
            families = spec.get(role) or []
            for family in [families] if isinstance(families, str) else families:
                out[f"{family}_h{h}"] = (family, h)
    if research:
        for family, hs in (section.get("research") or {}).items():
            out.update({f"{family}_h{int(h)}": (family, int(h)) for h in hs})
    return out


def _member_instances(section: dict, names: dict[str, tuple[str, int]]) -> list[Instance]:
    families = section.get("families") or {}
    out = []
    for name, (family, _h) in names.items():
        block = {**(families.get(family) or {}), **(section.get(name) or {})}
        if "feature_set" not in block:
            raise KeyError(f"direction.{name}: family {family!r} is not in direction.families")
        out.append(Instance(f"direction.{name}", block["feature_set"], "pool" in block))
    return out


def instances(section: dict) -> list[Instance]:
    """The served layout's members, then every other model block of the section (regime, gap,
    ...)."""
    served = members(section, research=False)
    skip = set(members(section))
    return _member_instances(section, served) + block_instances("direction", section, skip)


def research(section: dict) -> list[Instance]:
    """Research-only members (`--pipeline=research`): evaluated, frozen, compared; not stacked or
    served."""
    served = members(section, research=False)
    extra = {n: fh for n, fh in members(section).items() if n not in served}
    return _member_instances(section, extra)


ENGINE = Engine(
    name="direction",
    signals=(
        # per served horizon: the stack of its classifiers (fallback: the first classifier, then its
        # baseline)
        Signal("p_up", candidates="horizons.<h>.classifiers"),
        Signal("expected_abs_move_points", candidates="horizons.<h>.magnitude"),
        Signal("market_regime", model="regime"),
        Signal("opening_gap", model="gap"),
    ),
    payload_section="aegismatrix.payload.sections.direction:direction_section",
    instances=instances,
    research=research,
    members=members,
)
