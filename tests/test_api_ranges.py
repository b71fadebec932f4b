"""Range headers as RFC 9110 reads them: ignore what is not usable, 416 only when unsatisfiable."""

from __future__ import annotations

import pytest

from vidseek.api.errors import ApiError
from vidseek.api.streaming import parse_range

SIZE = 1000


@pytest.mark.parametrize(
    "header",
    [
        "items=0-5",  # a unit this server does not know
        "bytes=10-5",  # backwards: an invalid range
        "bytes=0-1,5-6",  # several ranges
        "bytes=",
        "bytes=-",
        "bytes=abc-def",
        "bytes=" + "1" * 5000,
        "bytes=5-" + "x" * 10,
    ],
)
def test_unusable_ranges_mean_the_whole_file(header):
    assert parse_range(header, SIZE) is None


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=" + "9" * 5000 + "-", "bytes=-0"])
def test_ranges_past_the_end_are_416(header):
    with pytest.raises(ApiError) as err:
        parse_range(header, SIZE)
    assert err.value.status == 416
    assert err.value.headers == {"Content-Range": f"bytes */{SIZE}"}


@pytest.mark.parametrize(
    "header,expected",
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=990-", (990, 999)),
        ("bytes=-10", (990, 999)),
        ("bytes=-" + "9" * 5000, (0, 999)),
        ("bytes=5-" + "9" * 5000, (5, 999)),
    ],
)
def test_satisfiable_ranges(header, expected):
    assert parse_range(header, SIZE) == expected
