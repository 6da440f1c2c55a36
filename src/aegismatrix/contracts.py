"""Frame contracts between pipelines (docs/architecture.md), as pandera schemas the catalog checks on save.

Declared in the catalog (`validator: aegismatrix.contracts.<Schema>`, Kedro 1.7 dataset validation), so a
frame that breaks its contract fails where it is produced, naming the dataset, the check and example rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series


class MarketDaily(pa.DataFrameModel):
    """`market_daily`: the index's daily bars with India VIX high/low/close, one row per session."""

    date: Series[pd.Timestamp] = pa.Field(unique=True)
    open: Series[float] = pa.Field(gt=0)
    high: Series[float] = pa.Field(gt=0)
    low: Series[float] = pa.Field(gt=0)
    close: Series[float] = pa.Field(gt=0)
    volume: Series[float] = pa.Field(nullable=True, ge=0)
    vix_high: Series[float] = pa.Field(gt=0)
    vix_low: Series[float] = pa.Field(gt=0)
    vix_close: Series[float] = pa.Field(gt=0)
    vix_filled: Series[bool]

    @pa.dataframe_check
    def dates_ascending(cls, frame: pd.DataFrame) -> bool:
        return bool(frame["date"].is_monotonic_increasing)

    @pa.dataframe_check
    def bars_are_consistent(cls, frame: pd.DataFrame) -> Series[bool]:
        return (frame["low"] <= frame[["open", "close"]].min(axis=1)) & (frame["high"] >= frame[["open", "close"]].max(axis=1))


def _finite(column: pd.Series) -> bool:
    return bool(np.isfinite(column.to_numpy(dtype=float)).all())


# `<engine>_features`: `date` plus float feature columns, warm-up rows dropped, no NaN or inf.
EngineFeatures = pa.DataFrameSchema(
    {"date": pa.Column("datetime64[ns]", unique=True),
     r"^(?!date$).+": pa.Column(float, regex=True, checks=pa.Check(_finite, element_wise=False,
                                                                    error="NaN or inf in a feature"))},
    checks=pa.Check(lambda frame: frame["date"].is_monotonic_increasing, error="dates not ascending"),
    strict=False,
)
