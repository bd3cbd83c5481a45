"""Offline plan: run the Pulumi program under a recording mock engine (no credentials)."""
