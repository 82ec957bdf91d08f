"""The conflict review page of the Airflow UI (mounted by the ponton plugin)."""
