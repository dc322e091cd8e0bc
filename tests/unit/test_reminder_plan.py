"""Pure reminder planning: rounds, lead times, round start."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge.model import Deadline
from bot.reminders.plan import (
    DAY,
    DEFAULT_LEAD_TIMES,
    HOUR,
    MAX_LEAD_SECONDS,
    MAX_LEAD_TIMES,
    MINUTE,
    Round,
    format_lead,
    format_lead_compact,
    job_id,
    parse_lead_times,
    reminder_rounds,
    round_start,
)

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


def deadline(id: str, at: datetime, regions: tuple[str, ...] = ("eu",)) -> Deadline:
    return Deadline(
        id=id,
        title=f"Deadline {id}",
        at=at,
        timezone="Europe/Brussels",
        regions=regions,
        platforms=("meta",),
        before="before",
        after="after",
    )


# -- reminder_rounds --------------------------------------------------------------------------


def test_rounds_cover_every_deadline_and_lead_soonest_first() -> None:
    a = deadline("a", NOW + timedelta(days=10))
    b = deadline("b", NOW + timedelta(days=2))
    rounds = reminder_rounds([a, b], (DAY, 3 * DAY, 2 * HOUR), NOW)
    assert [(r.deadline.id, r.lead_seconds) for r in rounds] == [
        ("b", 3 * DAY),  # due yesterday: missed while down, still before the deadline
        ("b", DAY),
        ("b", 2 * HOUR),
        ("a", 3 * DAY),
        ("a", DAY),
        ("a", 2 * HOUR),
    ]
    for r in rounds:
        assert r.due_at == r.deadline.at - timedelta(seconds=r.lead_seconds)
        assert r.job_id == f"remind:{r.deadline.id}:{r.lead_seconds}"
    assert rounds[0].is_late(NOW) and not rounds[1].is_late(NOW)


def test_rounds_drop_passed_deadlines_and_accept_a_mapping() -> None:
    past = deadline("past", NOW - timedelta(seconds=1))
    exactly_now = deadline("now", NOW)
    ahead = deadline("ahead", NOW + timedelta(hours=1))
    rounds = reminder_rounds({d.id: d for d in (past, exactly_now, ahead)}, [DAY, DAY, 0], NOW)
    assert [(r.deadline.id, r.lead_seconds) for r in rounds] == [("ahead", DAY)]
    assert reminder_rounds([ahead], [], NOW) == []


def test_rounds_need_an_aware_now() -> None:
    with pytest.raises(ValueError):
        reminder_rounds([], [DAY], datetime(2026, 1, 1))


def test_job_ids_are_stable_and_distinct() -> None:
    assert job_id("meta-2026", 86400) == "remind:meta-2026:86400"
    d = deadline("x", NOW + timedelta(days=5))
    ids = [r.job_id for r in reminder_rounds([d], DEFAULT_LEAD_TIMES, NOW)]
    assert len(set(ids)) == len(DEFAULT_LEAD_TIMES)
    assert ids == [r.job_id for r in reminder_rounds([d], DEFAULT_LEAD_TIMES, NOW)]


# -- round_start ----------------------------------------------------------------------------


def test_round_start_leaves_time_for_the_whole_round() -> None:
    due = NOW + timedelta(days=3)
    start = round_start(due, 1_000_000, 30.0)
    needed = timedelta(seconds=1_000_000 / 30)
    assert needed > timedelta(hours=9)
    assert due - start >= needed
    assert due - start <= needed * 1.2 + timedelta(minutes=1)
    assert round_start(due, 0, 30.0) < due
    assert round_start(due, 1000, 1000.0) > round_start(due, 1000, 30.0)


@pytest.mark.parametrize(("n", "rate"), [(-1, 30.0), (10, 0.0), (10, -3.0), (10, float("inf"))])
def test_round_start_rejects_nonsense(n: int, rate: float) -> None:
    with pytest.raises(ValueError):
        round_start(NOW, n, rate)


# -- parse_lead_times -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d 1d 2h", (3 * DAY, DAY, 2 * HOUR)),
        ("2h,1d", (DAY, 2 * HOUR)),
        ("  1W ; 30m ", (7 * DAY, 30 * MINUTE)),
        ("1d12h", (DAY + 12 * HOUR,)),
        ("365d", (MAX_LEAD_SECONDS,)),
        ("1m", (MINUTE,)),
    ],
)
def test_parse_lead_times(text: str, expected: tuple[int, ...]) -> None:
    assert parse_lead_times(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", r"'soon' is not a lead time: use a number and a unit"),
        ("0m", r"'0m' is zero: a reminder must come at least 1 minute before"),
        ("0d0h", r"is zero"),
        ("-2h", r"'-2h' is negative.*write 2h"),
        ("400d", r"'400d' is more than 365 days"),
        ("53w", r"more than 365 days"),
        ("99999999999999999999d", r"more than 365 days"),
        ("3d 72h", r"'72h' is the same as '3d'"),
        ("1d 1D", r"'1D' is repeated"),
        ("30", r"'30' has no unit"),
        ("", r"at least one lead time"),
        ("  , ", r"at least one lead time"),
        ("2 h", r"'2' has no unit"),
        ("1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 11m", rf"At most {MAX_LEAD_TIMES}"),
        ("٣d", r"not a lead time"),  # Arabic-Indic digit: refused, not misread
    ],
)
def test_parse_lead_times_explains_mistakes(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_lead_times(text)


def test_parse_error_does_not_echo_long_input() -> None:
    with pytest.raises(ValueError) as info:
        parse_lead_times("x" * 5000)
    assert len(str(info.value)) < 200


lead_seconds = st.integers(min_value=1, max_value=MAX_LEAD_SECONDS // MINUTE).map(
    lambda m: m * MINUTE
)


@given(st.lists(lead_seconds, min_size=1, max_size=MAX_LEAD_TIMES, unique=True))
def test_parse_reads_back_what_format_compact_writes(leads: list[int]) -> None:
    tokens = [format_lead_compact(s) for s in leads]
    separators = [" ", ",", ", ", ";", "\t"]
    text = "".join(t + separators[i % len(separators)] for i, t in enumerate(tokens))
    assert parse_lead_times(text) == tuple(sorted(leads, reverse=True))


@given(st.text(max_size=60))
def test_parse_either_succeeds_sanely_or_raises_value_error(text: str) -> None:
    try:
        leads = parse_lead_times(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert 1 <= len(leads) <= MAX_LEAD_TIMES
    assert list(leads) == sorted(set(leads), reverse=True)
    assert all(MINUTE <= s <= MAX_LEAD_SECONDS and s % MINUTE == 0 for s in leads)


@given(st.lists(st.sampled_from(["d", "h", "m", "w"]), min_size=1, max_size=3), st.data())
def test_parse_units_add_up(units: list[str], data: st.DataObject) -> None:
    size = {"w": 7 * DAY, "d": DAY, "h": HOUR, "m": MINUTE}
    numbers = [data.draw(st.integers(min_value=0, max_value=50)) for _ in units]
    token = "".join(f"{n}{u}" for n, u in zip(numbers, units, strict=True))
    total = sum(n * size[u] for n, u in zip(numbers, units, strict=True))
    if total == 0:
        with pytest.raises(ValueError, match="zero"):
            parse_lead_times(token)
    elif total > MAX_LEAD_SECONDS:
        with pytest.raises(ValueError, match="365 days"):
            parse_lead_times(token)
    else:
        assert parse_lead_times(token) == (total,)


# -- format_lead ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3 * DAY, "3 days"),
        (DAY, "1 day"),
        (2 * HOUR, "2 hours"),
        (DAY + 12 * HOUR, "1 day 12 hours"),
        (90 * MINUTE, "1 hour 30 minutes"),
        (MINUTE, "1 minute"),
        (45, "45 seconds"),
    ],
)
def test_format_lead(seconds: int, text: str) -> None:
    assert format_lead(seconds) == text


def test_format_rejects_non_positive() -> None:
    with pytest.raises(ValueError):
        format_lead(0)
    with pytest.raises(ValueError):
        format_lead_compact(90)


@given(lead_seconds)
def test_format_compact_round_trips(seconds: int) -> None:
    assert parse_lead_times(format_lead_compact(seconds)) == (seconds,)
    assert format_lead(seconds)


def test_round_is_hashable_and_frozen() -> None:
    d = deadline("x", NOW + timedelta(days=1))
    r = Round(d, HOUR, d.at - timedelta(hours=1))
    assert {r, Round(d, HOUR, d.at - timedelta(hours=1))} == {r}
    with pytest.raises(AttributeError):
        r.lead_seconds = 5  # type: ignore[misc]


def test_late_rounds_collapse_to_the_latest_per_deadline():
    from bot.reminders.scheduler import collapse_late

    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    base = Deadline("d", "D", now + timedelta(hours=1), "UTC", ("eu",), ("facebook",), "b", "a")
    other = replace(base, id="e", at=now + timedelta(days=10))
    rounds = reminder_rounds([base, other], [3 * 86400, 86400, 1800], now)
    kept = collapse_late(rounds, now)
    late = [r for r in kept if r.is_late(now)]
    assert [(r.deadline.id, r.lead_seconds) for r in late] == [("d", 86400)]
    assert ("d", 1800) in [(r.deadline.id, r.lead_seconds) for r in kept]  # still ahead
    assert len([r for r in kept if r.deadline.id == "e"]) == 3
