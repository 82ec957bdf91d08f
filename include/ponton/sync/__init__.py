"""Two-way calendar sync: the remote-calendar port, the pure planner, the applier and guards."""

# The Airflow asset calendar webhooks update to trigger ``ponton_calendar_import`` at once. A bare
# name, not a URI: a URI scheme makes Airflow load every provider's URI handlers at parse time.
CALENDAR_CHANGES_ASSET = "ponton_calendar_changes"
