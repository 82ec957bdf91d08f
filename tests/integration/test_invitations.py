"""No invitation storms: a planning event with attendees synced to Google or Outlook mails nobody
unless the binding opts in (Google ``send_updates``, Outlook ``write_attendees``)."""

from __future__ import annotations

import pytest

from ponton.errors import InvalidInputError
from ponton.model import Attendee
from ponton.sync.bindings import add_binding
from ponton.sync.port import RemoteWrite
from tests.contract.remote_calendar import sample_event
from tests.fakes.google_fixtures import CALENDAR, google_backend_for
from tests.fakes.graph_fixtures import outlook_backend_for

pytestmark = pytest.mark.integration
GUESTS = (Attendee("client@example.com", "Client"), Attendee("bruno@example.com"))


def _write_twice(calendar):
    event = sample_event(attendees=GUESTS)
    (created,) = calendar.apply_writes([RemoteWrite("create", event.uid, event=event)])
    assert created.error is None, created.error
    moved = sample_event(summary="Atelier déplacé", attendees=GUESTS)
    update = RemoteWrite(
        "update", event.uid, moved, remote_id=created.remote.remote_id, etag=created.remote.etag
    )
    delete = RemoteWrite("delete", event.uid, remote_id=created.remote.remote_id)
    assert [r.error for r in calendar.apply_writes([update])] == [None]
    assert [r.error for r in calendar.apply_writes([delete])] == [None]


def test_google_writes_attendees_but_mails_no_guest_by_default(google_fake):
    _write_twice(google_backend_for(google_fake))
    assert google_fake.guest_mail == []
    attendees = [a["email"] for a in google_fake.items(CALENDAR, live=False)[0]["attendees"]]
    assert attendees == ["client@example.com", "bruno@example.com"]


def test_google_mails_guests_only_when_the_binding_opts_in(google_fake):
    _write_twice(google_backend_for(google_fake, send_updates="all"))
    assert {guest for guest, _ in google_fake.guest_mail} == {
        "client@example.com",
        "bruno@example.com",
    }


def test_outlook_invites_nobody_unless_the_binding_writes_attendees(graph_fake):
    _write_twice(outlook_backend_for(graph_fake))
    assert graph_fake.invitations == []
    _write_twice(outlook_backend_for(graph_fake, write_attendees=True))
    assert {a for a, _ in graph_fake.invitations} == {"client@example.com", "bruno@example.com"}


def test_an_unknown_send_updates_value_is_refused_at_bindings_add(sqlite_db):
    with pytest.raises(InvalidInputError, match="send_updates"):
        add_binding(
            sqlite_db,
            provider="google",
            source=CALENDAR,
            resource="ana",
            direction="both",
            options={"send_updates": "everyone"},
        )
