"""Pure mappings between the platform :class:`~ponton.model.Event` and calendar vendors' JSON.

No Airflow and no HTTP here: the hooks under ``ponton.hooks`` do the talking and call these.
"""
