"""The UDiFF bhavcopy downloader on recorded responses (no network): a saved day parses as option
rows, a present file is not fetched again, 404 / bad body / network error are reported per date,
never saved."""

from __future__ import annotations

import io
import zipfile

import pandas as pd

from aegismatrix.options import download as D
from aegismatrix.options.nse_files import read_options_dir

# two NIFTY option rows in the UDiFF layout (the shared sample's header; values made up for the
# test)
UDIFF_CSV = (
    "TradDt,BizDt,Sgmt,Src,FinInstrmTp,FinInstrmId,ISIN,TckrSymb,SctySrs,XpryDt,"
    "FininstrmActlXpryDt,"
    "StrkPric,OptnTp,FinInstrmNm,OpnPric,HghPric,LwPric,ClsPric,LastPric,PrvsClsgPric,UndrlygPric,"
    "SttlmPric,OpnIntrst,ChngInOpnIntrst,TtlTradgVol,TtlTrfVal,TtlNbOfTxsExctd,SsnId,NewBrdLotQty,"
    "Rmks,Rsvd1,Rsvd2,Rsvd3,Rsvd4\n"
    "2024-07-08,2024-07-08,FO,NSE,IDO,1,,NIFTY,,2024-07-11,2024-07-11,24300,CE,NIFTY24711,"
    "120,150,90,110,110,130,24320.55,110,100000,5000,2000,1,10,F1,25,,,,,\n"
    "2024-07-08,2024-07-08,FO,NSE,IDO,2,,NIFTY,,2024-07-11,2024-07-11,24300,PE,NIFTY24711,"
    "100,120,80,95,95,90,24320.55,95,120000,-4000,2500,1,12,F1,25,,,,,\n"
)


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("BhavCopy_NSE_FO_0_0_0_20240708_F_0000.csv", text)
    return buffer.getvalue()


class Recorded:
    """A requests-like session answering from recorded (status, body) per URL; raises for a missing
    one."""

    def __init__(self, answers: dict):
        self.answers, self.urls = answers, []

    def get(self, url, headers=None, timeout=None):
        self.urls.append(url)
        answer = self.answers.get(url)
        if answer is None:
            raise ConnectionError(f"offline: {url}")
        return type("Response", (), {"status_code": answer[0], "content": answer[1]})()


def _url(day: str) -> str:
    return D.ARCHIVE_URL.format(name=D.FILE_NAME.format(day=pd.Timestamp(day)))


def test_a_saved_day_parses_and_is_not_fetched_again(tmp_path):
    session = Recorded({_url("2024-07-08"): (200, _zip(UDIFF_CSV))})
    [result] = D.download_bhavcopies("2024-07-08", "2024-07-08", tmp_path, session, pause_seconds=0)
    assert result["status"] == "saved" and "User-Agent" in D.HEADERS
    rows, findings = read_options_dir(tmp_path)
    assert len(rows) == 2 and set(rows["source_format"]) == {"udiff_bhavcopy"}
    assert not [f for f in findings if f["action"] == "refused"]
    again = D.download_bhavcopies("2024-07-08", "2024-07-08", tmp_path, session, pause_seconds=0)
    assert again[0]["status"] == "present" and len(session.urls) == 1


def test_each_failure_is_reported_and_nothing_is_saved(tmp_path):
    session = Recorded(
        {
            _url("2024-07-08"): (404, b"<html>not found</html>"),
            _url("2024-07-09"): (200, b"<html>please enable javascript</html>"),
            _url("2024-07-10"): (503, b""),
        }
    )
    results = D.download_bhavcopies("2024-07-05", "2024-07-11", tmp_path, session, pause_seconds=0)
    status = {r["date"]: r["status"] for r in results}
    assert status == {
        "2024-07-08": "not_published",
        "2024-07-09": "refused",
        "2024-07-10": "failed",
        "2024-07-11": "failed",  # no recorded answer: the network error is reported, not raised
    }  # 2024-07-05 lies before the first UDiFF file: not asked
    assert list(tmp_path.iterdir()) == []
