"""Calendars: the vendor backends of the RemoteCalendar port (``ponton.calendars.backends``) and
the push-channel service (``ponton.calendars.channels``)."""
