"""Frame contracts between pipelines (docs/architecture.md),
as pandera schemas the catalog checks on save.

Declared in the catalog (`validator: aegismatrix.contracts.<Schema>`, Kedro 1.7 dataset validation),
so a frame that breaks its contract fails where it is produced, naming the dataset, the check and
example rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa


def _bars_are_consistent(frame: pd.DataFrame) -> pd.Series:
    return ((frame["low"] <= frame[["open", "close"]].min(axis=1))
            & (frame["high"] >= frame[["open", "close"]].max(axis=1)))


def _price(nullable: bool = False, minimum: str = "gt") -> pa.Column:
    return pa.Column(float, getattr(pa.Check, minimum)(0), nullable=nullable)


# `market_daily`: the index's daily bars with India VIX high/low/close, one row per session. A
# DataFrameSchema, not a DataFrameModel: building a model's schema imports pandera.typing.dask, i.e.
# dask.dataframe (~1 s a run).
MarketDaily = pa.DataFrameSchema(
    {"date": pa.Column("datetime64[ns]", unique=True),
     **{name: _price() for name in ("open", "high", "low", "close", "vix_high", "vix_low",
                                    "vix_close")},
     "volume": _price(nullable=True, minimum="ge"), "vix_filled": pa.Column(bool)},
    checks=[pa.Check(lambda frame: bool(frame["date"].is_monotonic_increasing),
                     name="dates_ascending"),
            pa.Check(_bars_are_consistent, name="bars_are_consistent")],
    name="MarketDaily",
)


def _finite(column: pd.Series) -> bool:
    return bool(np.isfinite(column.to_numpy(dtype=float)).all())


# `<engine>_features`: `date` plus float feature columns, warm-up rows dropped, no NaN or inf.
EngineFeatures = pa.DataFrameSchema(
    {"date": pa.Column("datetime64[ns]", unique=True),
     r"^(?!date$).+": pa.Column(float, regex=True,
                                checks=pa.Check(_finite, element_wise=False,
                                                error="NaN or inf in a feature"))},
    checks=pa.Check(lambda frame: frame["date"].is_monotonic_increasing,
                    error="dates not ascending"),
    strict=False,
)
