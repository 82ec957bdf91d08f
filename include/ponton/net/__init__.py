"""Outbound network access on a user's behalf: the egress guard (:mod:`ponton.net.egress`)."""
