"""Kedro's documented `DaskRunner` (deployment guide,
"Dask"): nodes run as `dask.distributed` tasks.

Independent model instances (e.g. `direction.xgb_h5` and `seller.trap`) run at once on a cluster's
workers; a node is submitted with its upstream nodes' futures, so Dask starts it only after they
finish. Datasets passed between nodes live on storage every worker sees (this project's catalog
persists every model input, prediction, metric and bundle to files; parameters travel with the
pickled catalog); in-memory intermediates (the ingestion's fetch logs and findings) are kept on the
scheduler as `distributed.Variable`s, as in the guide's `_DaskDataset`.

    kedro run --runner=aegismatrix.runner.DaskRunner                      # a LocalCluster on this
    machine kedro run --runner=aegismatrix.runner.DaskRunner
    --runner-params=client_args.address=HOST:8786

Multi-machine set-up: docs/scale_out.md.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from itertools import chain
from typing import Any

from distributed import Client, as_completed
from kedro.framework.hooks.manager import _create_hook_manager, _register_hooks, _register_hooks_entry_points
from kedro.framework.project import settings
from kedro.io import AbstractDataset, CatalogProtocol, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.pipeline.node import Node
from kedro.runner import AbstractRunner, SequentialRunner
from pluggy import PluginManager

from aegismatrix.datasets.replace import replace_dataset


class DaskVariableDataset(AbstractDataset):
    """An in-memory intermediate published to the Dask scheduler: the producing worker sets it,
    consumers get it."""

    def __init__(self, name: str):
        self._name = name

    def load(self) -> Any:
        from distributed import Variable, get_client

        return Variable(self._name, client=get_client()).get()

    def save(self, data: Any) -> None:
        from distributed import Variable, get_client

        Variable(self._name, client=get_client()).set(data)

    def _describe(self) -> dict[str, Any]:
        return {"variable": self._name}


class DaskRunner(AbstractRunner):
    """Distributes a pipeline's nodes over a Dask cluster, honouring their dependencies."""

    def __init__(self, client_args: dict[str, Any] | None = None, is_async: bool = False):
        """`client_args` go to `distributed.Client` (none: a LocalCluster on this machine)."""
        super().__init__(is_async=is_async)
        self._client = Client(**(client_args or {}))

    def close(self) -> None:
        """Close the client (and the LocalCluster it started); a shared scheduler keeps running."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def __del__(self):
        with contextlib.suppress(Exception):  # interpreter shutdown: the client may already be gone
            self.close()

    def _get_executor(self, max_workers: int) -> None:
        return None  # Dask schedules the nodes itself

    @staticmethod
    def _run_node(node: Node, catalog: CatalogProtocol, is_async: bool = False,
                  run_id: str | None = None, *dependencies: Node) -> Node:
        """Run one node on a worker; `dependencies` (upstream futures) only order the tasks."""
        hook_manager = _create_hook_manager()  # a PluginManager cannot be pickled: one per task
        _register_hooks(hook_manager, settings.HOOKS)
        _register_hooks_entry_points(hook_manager, settings.DISABLE_HOOKS_FOR_PLUGINS)
        SequentialRunner(is_async=is_async).run(Pipeline([node]), catalog, hook_manager, run_id)
        return node

    @staticmethod
    def _share_memory_intermediates(pipeline: Pipeline, catalog: CatalogProtocol) -> None:
        """Intermediates that would live in one process's memory go to the scheduler instead."""
        for name in sorted(pipeline.all_outputs()):
            dataset = catalog.get(name)
            # None: the runner would make a MemoryDataset
            if dataset is None or isinstance(dataset, MemoryDataset):
                replace_dataset(catalog, name, DaskVariableDataset(f"{id(catalog)}:{name}"))

    def _run(self, pipeline: Pipeline, catalog: CatalogProtocol,
             hook_manager: PluginManager | None = None, run_id: str | None = None) -> None:
        self._share_memory_intermediates(pipeline, catalog)
        nodes = pipeline.nodes
        load_counts = Counter(chain.from_iterable(n.inputs for n in nodes))
        dependencies = pipeline.node_dependencies
        futures = {}
        for node in nodes:  # topological order: every upstream future exists already
            upstream = [futures[d] for d in dependencies[node]]
            futures[node] = self._client.submit(DaskRunner._run_node, node, catalog, self._is_async,
                                                run_id, *upstream, pure=False)
        for done, (_, node) in enumerate(as_completed(futures.values(), with_results=True),
                                         start=1):
            self._logger.info("Completed node %s (%d of %d)", node.name, done, len(nodes))
            for dataset in node.inputs:  # release what no remaining node needs
                load_counts[dataset] -= 1
                if load_counts[dataset] < 1 and dataset not in pipeline.inputs():
                    catalog.release(dataset)
            for dataset in node.outputs:
                if load_counts[dataset] < 1 and dataset not in pipeline.outputs():
                    catalog.release(dataset)
