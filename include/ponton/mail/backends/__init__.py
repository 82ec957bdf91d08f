"""One module per mail vendor (local capture, SMTP, SendGrid, Postmark), Airflow-free, each a
:class:`~ponton.mail.backends.base.BaseMailBackend`: the base holds the send skeleton, a backend
only its vendor steps."""
