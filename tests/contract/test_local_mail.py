"""Local capture, the embedded default, passes the mail-provider contract."""

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
def hooked(tmp_path, monkeypatch):
    """Without a mail connection, the DAGs capture into PONTON_HOME/mail."""
    from ponton.hooks.mail import get_mail_provider

    monkeypatch.setenv("PONTON_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL", raising=False)
    backend = get_mail_provider()
    return LocalCapture(options=LocalCaptureOptions(folder=backend.folder, sender=SENDER))


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
