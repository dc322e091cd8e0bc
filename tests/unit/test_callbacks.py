import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks


def test_round_trip():
    data = callbacks.encode("t", "opt-out-instagram")
    assert callbacks.decode(data) == callbacks.Callback("t", "opt-out-instagram")


def test_encode_refuses_unknown_kinds_and_long_data():
    with pytest.raises(ValueError):
        callbacks.encode("?", "x")
    with pytest.raises(ValueError):
        callbacks.encode("t", "a" * 70)


@pytest.mark.parametrize("data", [None, "", "zzz", "t", "q:1", "t:<b>", "t:" + "a" * 80, "t:ä"])
def test_forged_or_stale_data_decodes_to_none(data):
    assert callbacks.decode(data) is None


@given(st.text(max_size=100))
def test_decode_never_raises(data):
    result = callbacks.decode(data)
    if result is not None:
        assert len(callbacks.encode(result.kind, result.arg).encode()) <= callbacks.MAX_BYTES
