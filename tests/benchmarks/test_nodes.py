"""The node-timing report: per-node wall and CPU seconds, totals per node kind, time outside nodes."""

from __future__ import annotations

from types import SimpleNamespace

from aegismatrix.benchmarks.nodes import NodeTimer, by_kind, report


def test_the_timer_records_every_node_in_order():
    timer = NodeTimer()
    for name in ("direction.xgb_h1.predict_frozen", "inference.assemble_payload"):
        node = SimpleNamespace(name=name)
        timer.before_node_run(node)
        timer.after_node_run(node)
    assert [name for name, _, _ in timer.timings] == ["direction.xgb_h1.predict_frozen",
                                                      "inference.assemble_payload"]
    assert all(wall >= 0 and cpu >= 0 for _, wall, cpu in timer.timings)


def test_totals_per_kind_and_time_outside_nodes():
    timings = [("direction.xgb_h1.predict_frozen", 1.0, 0.5), ("seller.trap.predict_frozen", 2.0, 1.0),
               ("inference.publish_payload", 0.5, 0.25)]
    assert by_kind(timings) == [("predict_frozen", 2, 3.0, 1.5), ("publish_payload", 1, 0.5, 0.25)]
    named = [("direction.xgb_h1.describe_direction_xgb_h1", 1.0, 0.5),
             ("seller.trap.describe_seller_trap", 1.0, 0.5)]
    assert by_kind(named) == [("describe", 2, 2.0, 1.0)]
    text = report(timings, run_s=5.0, top=2)
    assert "3.50 s in 3 nodes, 1.50 s outside them" in text
    assert text.index("seller.trap.predict_frozen") < text.index("direction.xgb_h1.predict_frozen")
    assert "inference.publish_payload" not in text.split("kind")[0]  # top=2 slowest nodes only
