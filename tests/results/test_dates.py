"""Dates and datetimes as parameter values: each platform's documented text, also inside JSON."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import mailru_sync.ok as ok
from mailru_sync import ParameterError
from mailru_sync.signer import serialize_params, serialize_value
from mailru_sync.testing import OkEmulator

MOMENT = dt.datetime(2015, 11, 5, 19, 9, 13)


def test_ok_datetime_is_publish_at_text_and_aware_values_go_to_moscow_time() -> None:
    assert serialize_value("publishAt", MOMENT, "ok") == "2015-11-05 19:09:13"
    utc = MOMENT.replace(tzinfo=dt.timezone.utc)
    assert serialize_value("publishAt", utc, "ok") == "2015-11-05 22:09:13"
    assert serialize_value("day", MOMENT.date(), "ok") == "2015-11-05"


def test_mailru_datetime_is_unix_seconds_and_date_is_day_month_year() -> None:
    utc = MOMENT.replace(tzinfo=dt.timezone.utc)
    assert serialize_value("time", utc, "mailru") == str(int(utc.timestamp())) == "1446750553"
    assert serialize_value("time", MOMENT, "mailru") == str(int(MOMENT.timestamp()))
    assert serialize_value("birthday", MOMENT.date(), "mailru") == "05.11.2015"


def test_dates_inside_json_and_sequences() -> None:
    attachment = {"media": [{"type": "text", "text": "x"}], "publishAt": MOMENT}
    sent = serialize_params({"attachment": attachment}, "ok")["attachment"]
    assert json.loads(sent)["publishAt"] == "2015-11-05 19:09:13"
    days = [MOMENT.date(), MOMENT.date() + dt.timedelta(days=1)]
    assert serialize_value("days", days, "ok") == "2015-11-05,2015-11-06"


def test_pandas_timestamps_are_datetimes() -> None:
    pd = pytest.importorskip("pandas")  # in the test extra
    assert serialize_value("publishAt", pd.Timestamp(MOMENT), "ok") == "2015-11-05 19:09:13"


def test_times_of_day_are_refused_naming_the_parameter() -> None:
    with pytest.raises(ParameterError, match=r"'at'.*time"):
        serialize_value("at", dt.time(12, 0), "ok")


def test_a_scheduled_post_reaches_the_emulator_signed(
    okru: ok.ClientSession, ok_emulator: OkEmulator
) -> None:
    attachment = {"media": [{"type": "text", "text": "Позже"}], "publishAt": MOMENT}
    topic_id = okru.call("mediatopic.post", {"type": "USER", "attachment": attachment})
    assert topic_id
    sent = ok_emulator.requests[-1].params["attachment"]
    assert '"publishAt":"2015-11-05 19:09:13"' in sent
