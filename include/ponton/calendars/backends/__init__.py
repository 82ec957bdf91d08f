"""Calendar backends of the RemoteCalendar port: ``ics``, ``caldav``, ``google``, ``outlook``.

Each is Airflow-free and built from a ready client or credential plus an options dataclass; the
hooks under ``ponton.hooks`` only authenticate and hand one out, ``connect`` opens the hookless
ones (ICS feeds, CalDAV) from a binding's connection.
"""
