"""The shared mail provider: port, message building, status vocabulary, ledger.

* :mod:`ponton.mail.port`: the :class:`~ponton.mail.port.MailProvider` protocol every backend
  implements (local capture in :mod:`ponton.mail.local`; SMTP, SendGrid and Postmark as hooks);
* :mod:`ponton.mail.message` and :mod:`ponton.mail.compose`: from a notifications row to a safe
  multipart message;
* :mod:`ponton.mail.status`: one status vocabulary and the latest-event-wins rule;
* :mod:`ponton.mail.ledger`, :mod:`ponton.mail.dispatch`, :mod:`ponton.mail.reconcile`: the
  at-most-once send and the folding of provider events into the notifications log;
* :mod:`ponton.mail.sendgrid`, :mod:`ponton.mail.postmark`: what those providers send and sign,
  shared by their hooks and by the webhook receiver.
"""
