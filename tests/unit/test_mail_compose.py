from datetime import date

import pytest
import sqlalchemy as sa

from ponton.demo.seed import seed
from ponton.errors import InvalidInputError
from ponton.mail.compose import compose, load_attachments, render
from ponton.mail.message import Address
from ponton.platform.schema import notifications, planning_events
from tests.contract.mail_provider import pdf_bytes

SENDER = Address("planning@ponton.example", "Planning ponton")


def row(**changes):
    base = {
        "id": 9,
        "to_recipients": [{"email": "ana.martin@example.com", "name": "Ana Martin"}],
        "subject": "Votre planning",
        "template": None,
        "context": None,
        "body_text": "Bonjour",
        "body_html": None,
        "attachments": None,
        "created_at": None,
    }
    return base | changes


def test_weekly_planning_lists_the_persons_week_from_the_platform(sqlite_db):
    seed(sqlite_db, date(2026, 3, 16))
    with sqlite_db.engine.connect() as conn:
        first = dict(conn.execute(sa.select(notifications).limit(1)).mappings().one())
        message = compose(first, SENDER, conn)
    assert "Ana Martin" in message.text and "Ana Martin" in message.html
    assert "semaine du 16/03/2026 au 22/03/2026" in message.text
    assert "Audit énergétique" in message.text  # her mission workshop that week
    assert "Point d'équipe hebdomadaire" in message.text  # the recurring meeting
    assert message.notification_id == first["id"]


def test_html_templates_escape_platform_data(sqlite_db):
    seed(sqlite_db, date(2026, 3, 16))
    with sqlite_db.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.uid == "M-2026-014-w0-ana.martin@demo.ponton")
            .values(summary="<script>alert(1)</script> & co")
        )
        first = dict(conn.execute(sa.select(notifications).limit(1)).mappings().one())
        message = compose(first, SENDER, conn)
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in message.html
    assert "<script>alert(1)</script> & co" in message.text  # plain text is not HTML


def test_a_missing_template_variable_is_an_input_error_not_a_blank():
    with pytest.raises(InvalidInputError, match="needs a value"):
        render("task_failure", {"dag_id": "d"})


@pytest.mark.parametrize("name", ["nope", "../etc", "Weekly"])
def test_unknown_or_unsafe_template_names_are_refused(name):
    with pytest.raises(InvalidInputError, match="template"):
        compose(row(template=name, body_text=None), SENDER, None)


def test_a_row_without_template_or_body_names_the_notification():
    with pytest.raises(InvalidInputError, match="notification 9: it has neither"):
        compose(row(body_text=None), SENDER, None)


def test_html_only_bodies_get_a_text_part():
    message = compose(row(body_text=None, body_html="<p>Bonjour <b>Ana</b></p>"), SENDER, None)
    assert message.text.strip() == "Bonjour Ana"


def test_the_subject_is_neutralised_and_the_address_validated():
    message = compose(row(subject="Planning\r\nBcc: x@evil.test"), SENDER, None)
    assert message.subject == "Planning Bcc: x@evil.test"
    with pytest.raises(InvalidInputError, match="notification 9: recipient address"):
        compose(row(to_recipients=["ana.martin@"]), SENDER, None)


def test_attachments_load_from_ponton_home_only(tmp_path):
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "roadmap.pdf").write_bytes(pdf_bytes())
    (loaded,) = load_attachments([{"path": "documents/roadmap.pdf"}], home=tmp_path)
    assert (loaded.filename, loaded.content_type) == ("roadmap.pdf", "application/pdf")
    with pytest.raises(InvalidInputError, match="outside PONTON_HOME"):
        load_attachments([{"path": "../secrets.txt"}], home=tmp_path)
    with pytest.raises(InvalidInputError, match="outside PONTON_HOME"):
        load_attachments([{"path": "/etc/passwd"}], home=tmp_path)
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_attachments([{"path": "documents/missing.pdf"}], home=tmp_path)
    with pytest.raises(InvalidInputError, match="list"):
        load_attachments({"path": "x"}, home=tmp_path)
