"""PNGDataset writes PNG bytes as they are (one render for the file and the report page), still takes a
Figure, and refuses bytes that are not a PNG."""

from __future__ import annotations

import pytest
from kedro.io.core import DatasetError
from matplotlib.figure import Figure

from aegismatrix.datasets import PNGDataset
from aegismatrix.reporting.figures import png_bytes


def _figure() -> Figure:
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [1, 0])
    return fig


def test_bytes_are_written_unchanged_and_a_figure_still_saves(tmp_path):
    png = png_bytes(_figure(), dpi=40)
    PNGDataset(filepath=str(tmp_path / "a.png")).save(png)
    assert (tmp_path / "a.png").read_bytes() == png
    PNGDataset(filepath=str(tmp_path / "b.png"), save_args={"dpi": 40}).save(_figure())
    assert (tmp_path / "b.png").read_bytes().startswith(b"\x89PNG")


def test_bytes_that_are_not_a_png_are_refused(tmp_path):
    with pytest.raises((ValueError, DatasetError), match="not a PNG"):
        PNGDataset(filepath=str(tmp_path / "c.png")).save(b"GIF89a...")
    assert not (tmp_path / "c.png").exists()
