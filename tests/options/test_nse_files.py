"""NSE option files in three formats -> one validated option_chain_daily; every bad input refused or flagged,
naming its file and row. Fixture: real NSE contract-wise rows of 2022-12-23 (fixtures/option_chain_nse)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from aegismatrix.options.chain_checks import KEY, VALUES, validate_option_rows
from aegismatrix.options.ingest import build_option_chain_daily
from aegismatrix.options.nse_files import read_options_dir

FIXTURE = Path(__file__).parents[1] / "fixtures" / "option_chain_nse"
NIFTY_CLOSE = pd.Series({pd.Timestamp("2022-12-23"): 17806.8})
COMPARED = KEY + VALUES + ["underlying", "traded"]


def _shared_rows() -> pd.DataFrame:
    frames = [pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(FIXTURE.glob("*.csv"))]
    return pd.concat(frames, ignore_index=True)


def _zero(value: str) -> str:
    return "0" if value.strip() == "-" else value


def _legacy(rows: pd.DataFrame) -> pd.DataFrame:
    """The same contracts as the legacy fo<DD><MON><YYYY>bhav.csv writes them (upper-case months, 0 for none),
    plus a future and another symbol's option that the reader must leave out."""
    out = pd.DataFrame(
        {
            "INSTRUMENT": "OPTIDX",
            "SYMBOL": rows["Symbol"],
            "EXPIRY_DT": rows["Expiry"].str.upper(),
            "STRIKE_PR": rows["Strike Price"],
            "OPTION_TYP": rows["Option type"],
            "OPEN": rows["Open"].map(_zero),
            "HIGH": rows["High"].map(_zero),
            "LOW": rows["Low"].map(_zero),
            "CLOSE": rows["Close"],
            "SETTLE_PR": rows["Settle Price"],
            "CONTRACTS": rows["No. of contracts"].map(_zero),
            "VAL_INLAKH": "0",
            "OPEN_INT": rows["Open Int"].map(_zero),
            "CHG_IN_OI": rows["Change in OI"].map(_zero),
            "TIMESTAMP": rows["Date"].str.upper(),
        }
    )
    extra = out.iloc[[0, 0]].copy()
    extra["INSTRUMENT"], extra.iloc[1, 1] = ["FUTIDX", "OPTIDX"], "BANKNIFTY"
    return pd.concat([out, extra], ignore_index=True)


def _udiff(rows: pd.DataFrame) -> pd.DataFrame:
    """The same contracts in the UDiFF bhavcopy layout (ISO dates, 0 for none, underlying and lot size)."""
    iso = lambda s: pd.to_datetime(s, format="%d-%b-%Y").dt.strftime("%Y-%m-%d")  # noqa: E731
    out = pd.DataFrame(
        {
            "TradDt": iso(rows["Date"]),
            "Sgmt": "FO",
            "FinInstrmTp": "IDO",
            "TckrSymb": rows["Symbol"],
            "XpryDt": iso(rows["Expiry"]),
            "StrkPric": rows["Strike Price"],
            "OptnTp": rows["Option type"],
            "OpnPric": rows["Open"].map(_zero),
            "HghPric": rows["High"].map(_zero),
            "LwPric": rows["Low"].map(_zero),
            "ClsPric": rows["Close"],
            "SttlmPric": rows["Settle Price"],
            "OpnIntrst": rows["Open Int"].map(_zero),
            "ChngInOpnIntrst": rows["Change in OI"].map(_zero),
            "TtlTradgVol": rows["No. of contracts"].map(_zero),
            "UndrlygPric": "17806.80",
            "NewBrdLotQty": "50",
        }
    )
    future = out.iloc[[0]].assign(FinInstrmTp="IDF", OptnTp="")
    return pd.concat([out, future], ignore_index=True)


def _validated(folder: Path) -> tuple[pd.DataFrame, list[dict]]:
    rows, findings = read_options_dir(folder)
    chain, checks = validate_option_rows(rows, NIFTY_CLOSE, {})
    return chain, findings + checks


def _one(findings: list[dict], check: str) -> dict:
    hits = [f for f in findings if f["check"] == check]
    assert len(hits) == 1, f"expected one {check} finding, got {findings}"
    return hits[0]


def test_three_formats_give_identical_rows(tmp_path):
    rows = _shared_rows()
    folders = {
        name: tmp_path / name for name in ("contract_wise", "legacy", "legacy_zip", "udiff", "udiff_zip")
    }
    for folder in folders.values():
        folder.mkdir()
    for file in FIXTURE.glob("*.csv"):
        shutil.copy(file, folders["contract_wise"])
    _legacy(rows).to_csv(folders["legacy"] / "fo23DEC2022bhav.csv", index=False)
    with zipfile.ZipFile(folders["legacy_zip"] / "fo23DEC2022bhav.csv.zip", "w") as archive:
        archive.writestr("fo23DEC2022bhav.csv", _legacy(rows).to_csv(index=False))
    _udiff(rows).to_csv(folders["udiff"] / "BhavCopy_NSE_FO_0_0_0_20221223_F_0000.csv", index=False)
    with zipfile.ZipFile(
        folders["udiff_zip"] / "BhavCopy_NSE_FO_0_0_0_20221223_F_0000.csv.zip", "w"
    ) as archive:
        archive.writestr("BhavCopy_NSE_FO_0_0_0_20221223_F_0000.csv", _udiff(rows).to_csv(index=False))
    chains = {name: _validated(folder)[0] for name, folder in folders.items()}
    reference = chains.pop("contract_wise")[COMPARED]
    assert len(reference) == len(rows) == 40 and reference["underlying"].eq(17806.8).all()
    assert reference["traded"].sum() == 36 and reference["open"].isna().sum() == 4
    for name, chain in chains.items():
        pd.testing.assert_frame_equal(chain[COMPARED], reference, check_dtype=False, obj=name)
    # the lot size is what the file states: only the UDiFF bhavcopy carries it
    assert chains["udiff"]["lot_size"].eq(50).all() and chains["legacy"]["lot_size"].isna().all()


def test_udiff_sample_parses(real_data_dir):
    chain, findings = _validated(real_data_dir / "options" / "udiff_sample")
    assert len(chain) == 2103 and set(chain["source_format"]) == {"udiff_bhavcopy"}
    assert chain["lot_size"].eq(65).all() and chain["date"].eq(pd.Timestamp("2026-03-25")).all()
    assert {f["check"] for f in findings} == {"underlying_unchecked"}  # nifty50 here ends 2022


def _bad_folder(tmp_path: Path, edit) -> Path:
    """A copy of the fixture whose call file is changed by `edit(frame)`."""
    folder = tmp_path / "bad"
    folder.mkdir(exist_ok=True)
    for file in FIXTURE.glob("*.csv"):
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
        (edit(frame) if "_CE_" in file.name else frame).to_csv(folder / file.name, index=False)
    return folder


def _set(row: int, column: str, value: str):
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row - 1, column] = value
        return frame

    return edit


@pytest.mark.parametrize(
    "edit, check, action, row",
    [
        (_set(3, "Settle Price", "-5"), "non_positive_price", "refused", 3),
        (_set(4, "Settle Price", "-"), "missing_settle", "flagged", 4),
        (_set(5, "Close", "abc"), "unreadable_value", "refused", 5),
        (_set(6, "Expiry", "28-Dec-2022"), "expiry_not_allowed", "refused", 6),  # a Wednesday, no holiday
        (_set(7, "Strike Price", "17525.00"), "strike_off_grid", "refused", 7),
        (_set(8, "Underlying Value", "19000.00"), "underlying_mismatch", "refused", 8),
        (
            lambda f: pd.concat([f, f.iloc[[1]].assign(Close="1.00")], ignore_index=True),
            "duplicate_conflicting",
            "refused",
            21,
        ),
        (lambda f: pd.concat([f, f.iloc[[1]]], ignore_index=True), "duplicate_identical", "flagged", 21),
    ],
)
def test_each_bad_input_names_file_and_row(tmp_path, edit, check, action, row):
    chain, findings = _validated(_bad_folder(tmp_path, edit))
    hit = _one(findings, check)
    assert hit["action"] == action and "_CE_" in hit["file"] and str(row) in hit["rows"].split(",")
    assert len(chain) == (40 if action == "flagged" else 39)


def test_calls_without_puts_are_flagged_not_paired(tmp_path):
    folder = tmp_path / "calls"
    folder.mkdir()
    shutil.copy(next(FIXTURE.glob("*_CE_*.csv")), folder)
    chain, findings = _validated(folder)
    assert "calls only" in _one(findings, "one_sided_day")["detail"] and not chain["both_sides"].any()


def test_other_underlying_and_broken_files_are_skipped_with_reason(tmp_path):
    folder = _bad_folder(tmp_path, lambda f: f.assign(Symbol="BANKNIFTY"))
    (folder / "fo23DEC2022bhav.csv.zip").write_bytes(b"not a zip")
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    chain, findings = _validated(folder)
    assert "not NIFTY" in _one(findings, "other_underlying")["detail"]
    assert _one(findings, "unreadable_file")["file"].endswith(".zip")
    assert _one(findings, "unknown_format")["file"].endswith("notes.csv")
    assert set(chain["side"]) == {"put"}  # the good file still counts


def test_options_dir_null_switches_option_data_off():
    chain, report = build_option_chain_daily(
        pd.DataFrame({"date": [], "close": []}), {"options_dir": None}
    )
    assert chain.empty and "null" in report["reason"] and list(chain.columns)[:4] == KEY
