"""Binding filters: typed, validated options deciding which foreign events become busy time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ponton.errors import InvalidInputError
from ponton.model import Attendee, Event
from ponton.sync.filters import EventFilters, blocking, filters_from

pytestmark = pytest.mark.unit
START = datetime(2026, 3, 17, 9, tzinfo=UTC)
ANA = "ana@example.com"


def event(**changes) -> Event:
    fields = {"uid": "e@x", "start": START, "end": START + timedelta(hours=1), "summary": "Réunion"}
    return Event(**(fields | changes))


@dataclass
class _Binding:
    options: dict
    resource_email: str | None = ANA


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"skip_all_day": "yes"}, "'skip_all_day' is 'yes': use true or false"),
        ({"exclude_title": "(unclosed"}, "not a regular expression"),
        ({"include_categories": [1, 2]}, "use a list of strings"),
        ({"busy_only": 1}, "use true or false"),
    ],
)
def test_a_wrong_option_is_refused_with_its_name_and_the_fix(options, message):
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(")):
        filters_from(options)


def test_options_of_other_layers_are_left_alone_and_one_category_may_be_a_string():
    filters = filters_from(
        {"past_days": 30, "write_attendees": True, "exclude_categories": "Perso"}
    )
    assert filters == EventFilters(exclude_categories=("Perso",))


@pytest.mark.parametrize(
    ("options", "changes", "reason"),
    [
        ({}, {"status": "CANCELLED"}, "cancelled"),
        ({}, {"transparency": "TRANSPARENT"}, "free"),
        ({}, {"response": "DECLINED"}, "declined"),
        ({}, {"attendees": (Attendee("ANA@example.com", partstat="DECLINED"),)}, "declined"),
        ({}, {"response": "TENTATIVE"}, None),
        ({"skip_tentative": True}, {"response": "TENTATIVE"}, "tentative"),
        ({"skip_tentative": True}, {"status": "TENTATIVE"}, "tentative"),
        ({"skip_all_day": True}, {"start": date(2026, 3, 17), "end": date(2026, 3, 18)}, "all-day"),
        ({"include_title": "^client"}, {"summary": "Perso"}, "title not included"),
        ({"include_title": "^client"}, {"summary": "CLIENT Dupont"}, None),
        ({"exclude_title": "yoga"}, {"summary": "Cours de Yoga"}, "title excluded"),
        ({"include_categories": ["Travail"]}, {"categories": ("Perso",)}, "category not included"),
        ({"exclude_categories": ["perso"]}, {"categories": ("Perso",)}, "category excluded"),
    ],
)
def test_each_filter_skips_what_it_says(options, changes, reason):
    assert filters_from(options).skip_reason(event(**changes), [ANA]) == reason


def test_busy_only_keeps_the_time_and_drops_every_text():
    source = event(
        description="ordre du jour",
        location="Lyon",
        attendees=(Attendee("x@example.com"),),
        categories=("Client",),
        url="https://meet.example/abc",
    )
    kept = blocking(_Binding({"busy_only": True}))(source)
    assert (kept.start, kept.end) == (source.start, source.end)
    assert (kept.summary, kept.description, kept.location) == ("", "", "")
    assert kept.attendees == () and kept.categories == () and kept.url is None


def test_describe_says_what_the_filters_do():
    text = filters_from(
        {"skip_all_day": True, "exclude_title": "^perso", "busy_only": True}
    ).describe()
    assert text == (
        "skips declined, free and cancelled; skips all-day; not titles matching /^perso/; busy only"
    )


TEXT = st.text(min_size=1, max_size=12)


@st.composite
def foreign(draw):
    return event(
        summary=draw(TEXT),
        description=draw(TEXT),
        location=draw(TEXT),
        status=draw(st.sampled_from(["CONFIRMED", "TENTATIVE", "CANCELLED"])),
        transparency=draw(st.sampled_from(["OPAQUE", "TRANSPARENT"])),
        privacy=draw(st.sampled_from(["PUBLIC", "PRIVATE", "CONFIDENTIAL"])),
        response=draw(st.sampled_from([None, "ACCEPTED", "DECLINED", "TENTATIVE"])),
        attendees=tuple(
            Attendee(email, partstat=draw(st.sampled_from(["ACCEPTED", "DECLINED"])))
            for email in draw(st.lists(st.sampled_from([ANA, "bob@example.com"]), unique=True))
        ),
    )


@given(st.lists(foreign(), max_size=6), st.booleans())
@example([event(privacy="CONFIDENTIAL", summary="Bilan", location="Curie")], False)
def test_no_declined_free_or_cancelled_event_blocks_and_no_private_text_survives(events, busy_only):
    keep = blocking(_Binding({"busy_only": busy_only}))
    for source in events:
        kept = keep(source)
        if kept is None:
            continue
        declined = source.response == "DECLINED" or (
            source.response is None
            and any(a.email == ANA and a.partstat == "DECLINED" for a in source.attendees)
        )
        assert source.busy and not declined
        if source.private or busy_only:
            assert kept.summary == kept.description == kept.location == ""
            assert kept.attendees == ()
