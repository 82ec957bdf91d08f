"""Storage backends: one module per vendor, Airflow-free, each built from a ready client (or a
folder) plus a typed options dataclass. The verified put lives once, in :mod:`.base`."""
