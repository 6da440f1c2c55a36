"""PNGDataset: kedro-datasets' MatplotlibDataset that also takes PNG bytes already rendered.

The report embeds each per-model figure in the HTML and saves it as a file; rendering a figure is
most of the reporting pipeline's time (about 0.17 s each, 150 per-model figures), so the node
renders once and both the page and this dataset use the same bytes. A Figure is still accepted
(rendered with `save_args`, as the parent does).
"""

from __future__ import annotations

from kedro_datasets.matplotlib import MatplotlibDataset
from matplotlib.figure import Figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class PNGDataset(MatplotlibDataset):
    """A versioned PNG file, saved from PNG bytes (written as they are) or from a Figure."""

    def _save_to_fs(self, full_key_path: str, plot: Figure | bytes) -> None:
        if not isinstance(plot, bytes):
            return super()._save_to_fs(full_key_path, plot)
        if not plot.startswith(PNG_MAGIC):
            raise ValueError(f"{full_key_path}: the bytes to save are not a PNG image")
        with self._fs.open(full_key_path, **self._fs_open_args_save) as fs_file:
            fs_file.write(plot)
        return None
