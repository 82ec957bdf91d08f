"""Local capture, the embedded default, passes the mail-provider contract."""

import json
from email import message_from_bytes, policy

import pytest

from ponton.mail.backends.local import LocalCapture, LocalCaptureOptions
from ponton.mail.message import Address
from tests.contract.mail_provider import MailProviderContract, sample_mail
from tests.fakes.smtp_server import SENDER

pytestmark = pytest.mark.contract


class CapturedFolder:
    def __init__(self, folder):
        self.folder = folder

    def seen(self):
        out = []
        for path in sorted(self.folder.glob("*.eml")):
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            to = msg["To"].addresses[0]
            out.append(
                {
                    "to": to.addr_spec,
                    "to_name": to.display_name,
                    "to_all": [a.addr_spec for a in msg["To"].addresses],
                    "cc": [a.addr_spec for a in msg["Cc"].addresses] if msg["Cc"] else [],
                    "recipients": None,  # a capture folder keeps messages, not envelopes
                    "reply_to": msg["Reply-To"].addresses[0].addr_spec if msg["Reply-To"] else None,
                    "bcc_header": msg["Bcc"],
                    "subject": str(msg["Subject"]),
                    "text": msg.get_body(("plain",)).get_content(),
                    "html": msg.get_body(("html",)).get_content(),
                    "reference": msg["X-Ponton-Ref"],
                    "message_id": msg["Message-ID"],
                    "attachments": [
                        (a.get_filename(), a.get_content_type(), a.get_content())
                        for a in msg.iter_attachments()
                    ],
                }
            )
        return out

    def refuse_next(self, permanent, times=1):
        pytest.skip("local capture never refuses a message")

    def deliver(self, receipt, at):
        """Captured means delivered: nothing more happens."""


@pytest.fixture
def provider(tmp_path):
    return LocalCapture(options=LocalCaptureOptions(folder=tmp_path / "mail", sender=SENDER))


@pytest.fixture
def hooked(provider, monkeypatch):
    """Local capture chosen explicitly, as the demo does: a ``ponton_local_mail`` connection."""
    from ponton.hooks.mail import get_mail_provider

    extra = {"folder": str(provider.folder), "from_email": SENDER.email, "from_name": SENDER.name}
    conn = {"conn_type": "ponton_local_mail", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(conn))
    return get_mail_provider()


@pytest.fixture
def paged(provider):
    return LocalCapture(
        options=LocalCaptureOptions(folder=provider.folder, sender=SENDER, page_size=2)
    )


@pytest.fixture
def peer(provider):
    return CapturedFolder(provider.folder)


@pytest.fixture
def unreachable(tmp_path):
    pytest.skip("local capture has no network peer")


class TestLocalCapture(MailProviderContract):
    pass


def test_a_capture_folder_that_cannot_be_created_is_a_config_error(tmp_path):
    from ponton.errors import ConfigError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    capture = LocalCapture(
        options=LocalCaptureOptions(folder=blocker / "mail", sender=Address("a@ponton.example"))
    )
    with pytest.raises(ConfigError, match="not writable"):
        capture.send(sample_mail(capture.sender))


def test_default_folder_is_under_ponton_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PONTON_HOME", str(tmp_path))
    assert LocalCapture().folder == tmp_path / "mail"


def test_without_a_mail_connection_nothing_falls_back_to_local_capture(tmp_path, monkeypatch):
    from ponton.errors import ConfigError
    from ponton.hooks.mail import get_mail_provider

    monkeypatch.setenv("PONTON_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL", raising=False)
    with pytest.raises(ConfigError, match=r"'ponton_mail' cannot be resolved.*ponton_local_mail"):
        get_mail_provider()
    assert not (tmp_path / "mail").exists()
