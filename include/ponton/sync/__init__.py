"""Two-way calendar sync: the remote-calendar port, the pure planner, the applier and guards."""
