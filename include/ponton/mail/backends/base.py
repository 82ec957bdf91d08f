"""The send skeleton every mail backend shares (as django-anymail's ``AnymailBaseBackend``):
validate → build the vendor payload → hand it over (retried through :mod:`ponton.retry` for what
the provider did not take) → read the receipt, with vendor errors translated once, by the backend.

A backend implements only its vendor steps: :meth:`~BaseMailBackend.build_payload`,
:meth:`~BaseMailBackend.deliver`, :meth:`~BaseMailBackend.receipt`,
:meth:`~BaseMailBackend.translate_error` (for the exceptions listed in ``vendor_errors``) and
:meth:`~BaseMailBackend.check_access`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Protocol, TypeVar

from ponton.errors import InvalidInputError, PontonError
from ponton.mail.message import Address, OutgoingMail
from ponton.mail.port import Receipt
from ponton.mail.status import StatusEvent
from ponton.retry import RetryPolicy

T = TypeVar("T")


def default_retry() -> RetryPolicy:
    """A few quick attempts inside the backend, honouring the provider's reset time; Airflow's task
    retries take over after that. ``OutcomeUnknown`` is never retried (it may have gone out)."""
    return RetryPolicy(attempts=3, max_seconds=30)


@dataclass(frozen=True, kw_only=True)
class MailOptions:
    """What every backend is given besides its client or credentials."""

    sender: Address
    retry: RetryPolicy = field(default_factory=default_retry)
    connection_name: str = "the mail connection"  # named in re-authorisation errors


class BaseMailBackend(ABC):
    name: ClassVar[str]
    # Most recipients (To + Cc + Bcc) one message may have, and where the limit is documented.
    max_recipients: ClassVar[int | None] = None
    recipients_limit_source: ClassVar[str] = ""
    # Exceptions of the vendor's client that ``translate_error`` turns into ponton errors.
    vendor_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self, *, options: MailOptions) -> None:
        self.options = options

    @property
    def sender(self) -> Address:
        return self.options.sender

    def send(self, message: OutgoingMail) -> Receipt:
        self.validate(message)
        payload = self.build_payload(message)
        answer = self.call(
            f"message {message.reference}", lambda: self.deliver(payload, message), sending=True
        )
        return self.receipt(answer, message)

    def validate(self, message: OutgoingMail) -> None:
        """Refuse before any I/O what the provider would refuse for good."""
        if message.sender.email != self.sender.email:
            raise InvalidInputError(
                f"message {message.reference} is from {message.sender.email}, but this "
                f"{self.name} connection sends as {self.sender.email}; build it with its sender"
            )
        count = len(message.recipients)
        if self.max_recipients is not None and count > self.max_recipients:
            raise InvalidInputError(
                f"message {message.reference} has {count} recipients (To, Cc and Bcc), over the "
                f"{self.max_recipients} one {self.name} message may have "
                f"({self.recipients_limit_source}); split it into several notifications"
            )

    def call(self, what: str, call: Callable[[], T], *, sending: bool = False) -> T:
        """One vendor call, its errors translated, retried while the provider did not take it."""
        for attempt in self.options.retry.retrying():
            with attempt:
                try:
                    return call()
                except PontonError:
                    raise
                except self.vendor_errors as exc:
                    raise self.translate_error(exc, what, sending=sending) from exc
        raise AssertionError("unreachable: tenacity re-raises the last error")

    @abstractmethod
    def build_payload(self, message: OutgoingMail) -> Any:
        """The message in the vendor's form (MIME bytes, a JSON body, client keyword arguments)."""

    @abstractmethod
    def deliver(self, payload: Any, message: OutgoingMail) -> Any:
        """Hand the payload over once; return the vendor's answer."""

    @abstractmethod
    def receipt(self, answer: Any, message: OutgoingMail) -> Receipt:
        """The receipt in the vendor's answer; ``OutcomeUnknown`` when it holds none."""

    @abstractmethod
    def translate_error(self, exc: BaseException, what: str, *, sending: bool) -> PontonError:
        """A vendor exception as a ponton error. ``sending``: a request that may have been
        acted on is ``OutcomeUnknown`` unless the vendor's answer proves otherwise."""

    @abstractmethod
    def check_access(self) -> str:
        """Prove the credentials and the peer without sending anything; a line for a human."""


class ApiMailBackend(BaseMailBackend):
    """A backend over a vendor's HTTP API client, whose signed or authenticated webhooks it reads
    (a :class:`~ponton.mail.port.WebhookReader`) with the verifier built by :meth:`verifier`."""

    def __init__(self, *, client: Any, options: MailOptions) -> None:
        super().__init__(options=options)
        self.client = client

    @abstractmethod
    def verifier(self) -> WebhookVerifier:
        """The vendor's webhook verifier, from the keys or credentials in the options."""

    @cached_property
    def webhook(self) -> WebhookVerifier:
        return self.verifier()

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]:
        return self.webhook.parse(body, headers)


class WebhookVerifier(Protocol):
    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[StatusEvent]: ...
