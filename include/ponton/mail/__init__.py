"""The shared mail provider: port, backends, message building, status vocabulary, ledger.

* :mod:`ponton.mail.port`: the :class:`~ponton.mail.port.MailProvider` protocol and its optional
  features (lookup, status pull, webhooks) as small protocols;
* :mod:`ponton.mail.backends`: local capture, SMTP, SendGrid and Postmark, one send skeleton in
  :mod:`ponton.mail.backends.base`;
* :mod:`ponton.mail.message` and :mod:`ponton.mail.compose`: from a notifications row to a safe
  multipart message;
* :mod:`ponton.mail.status`: one status vocabulary and the latest-event-wins rule;
* :mod:`ponton.mail.ledger`, :mod:`ponton.mail.dispatch`, :mod:`ponton.mail.reconcile`: the
  at-most-once send and the folding of provider events into the notifications log.
"""
