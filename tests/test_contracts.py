"""The catalog checks the frame contracts on save (aegismatrix.contracts via Kedro dataset validators)."""

from __future__ import annotations

import numpy as np
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from aegismatrix.features import build_engine_features
from aegismatrix.market.synthetic import synthetic_market_daily


@pytest.fixture(scope="module")
def catalog(tmp_path_factory, copy_project_to):
    project = copy_project_to(tmp_path_factory.mktemp("contracts"))
    bootstrap_project(project)
    with KedroSession.create(project_path=project) as session:
        yield session.load_context().catalog


def test_a_good_frame_saves_and_a_broken_one_is_refused_with_its_rows(catalog):
    market = synthetic_market_daily(years=2, seed=7)
    catalog.save("market_daily", market)
    broken = market.copy()
    broken.loc[5, "high"] = broken.loc[5, "low"] / 2  # a bad tick: high below low
    day = broken.loc[5, "date"].date()  # the synthetic market ends today: the bad row's date moves with it
    with pytest.raises(Exception, match=rf"(?s)market_daily.*date: bars_are_consistent.*{day}"):
        catalog.save("market_daily", broken)


def test_features_with_nan_are_refused(catalog):
    features, _ = build_engine_features(synthetic_market_daily(years=2, seed=7), "seller")
    catalog.save("seller_features", features)
    features.iloc[3, 2] = np.nan
    with pytest.raises(Exception, match="rv_cc_21: not_nullable"):
        catalog.save("seller_features", features)
