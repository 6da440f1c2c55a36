"""A training run's log ends with its model comparison:
model, baseline, metric, skill, CI, status."""

from __future__ import annotations

import logging

from kedro.framework.hooks import hook_impl


class ModelComparisonHooks:
    """After a run that wrote `<model>.metrics`, log reporting.tables.comparison_text of them."""

    @hook_impl
    def after_pipeline_run(self, run_params, pipeline, catalog) -> None:
        names = sorted(n for n in pipeline.all_outputs() if n.endswith(".metrics"))
        if not names:
            return
        # imported here: the reporting package loads matplotlib,
        # which a run without training never needs
        from aegismatrix.reporting.tables import comparison_text

        text = comparison_text({n.removesuffix(".metrics"): catalog.load(n) for n in names})
        logging.getLogger("aegismatrix.logs").info("model comparison\n%s", text)
