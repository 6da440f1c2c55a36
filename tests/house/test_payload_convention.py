"""Issue 25 item 3, the payload convention held by tests: `payload/` imports nothing from
`pipelines/`, the inference pipeline's own nodes name their inputs, and `mark_unavailable` runs once
per payload."""

from __future__ import annotations

import inspect
import subprocess
import sys

from aegismatrix.payload import assemble
from aegismatrix.pipelines.inference import nodes as inference_nodes
from aegismatrix.pipelines.inference import publishing

from .payload_fixed_run import fixed_inputs

PAYLOAD_MODULES = ("assemble", "expiries", "fields", "overnight", "publish", "track_record",
                   "unavailable", "sections.direction", "sections.seller", "sections.buyer")


def test_the_payload_package_imports_nothing_from_pipelines():
    imports = "; ".join(f"import aegismatrix.payload.{m}" for m in PAYLOAD_MODULES)
    listed = "[m for m in sys.modules if m.startswith('aegismatrix.pipelines')]"
    code = f"import sys; {imports}; print({listed})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_inference_pipelines_own_nodes_name_their_inputs():
    from aegismatrix.pipelines.inference.pipeline import create_pipeline

    here = "aegismatrix.pipelines.inference"
    own = [n for n in create_pipeline().nodes
           if getattr(n.func, "func", n.func).__module__.startswith(here)]
    names = {n.name.rsplit(".", 1)[-1] for n in own}
    assert names >= {"assemble_payload", "describe_served_models", "check_payload",
                     "publish_payload"}
    for node in own:
        kinds = {p.kind for p in inspect.signature(node.func).parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD not in kinds, node.name


def test_mark_unavailable_runs_once_from_assembly_to_the_checked_payload(monkeypatch):
    calls = []

    def counted(payload):
        calls.append(1)
        return real(payload)

    real = assemble.mark_unavailable
    # wherever a step from assembly to publishing could call it
    for module in (assemble, inference_nodes, publishing):
        if hasattr(module, "mark_unavailable"):
            monkeypatch.setattr(module, "mark_unavailable", counted)
    inputs = fixed_inputs("intraday")
    signals = inputs.pop("signals")
    frames = {f"{k}_signals": v for k, v in signals.items()}
    payload = inference_nodes.assemble_inference_payload(**inputs, **frames)
    publishing.check_for_publishing(payload)
    assert len(calls) == 1 and payload["data"]["unavailable"]
