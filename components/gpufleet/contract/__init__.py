"""Contract checks: each captured resource mapped to the API request(s) its provider sends,
checked against the cloud's own machine-readable API model and a sourced table of rules that
no model encodes. ``base`` holds the shared mechanism; ``aws``, ``azure`` and ``alicloud`` the
per-cloud mappings and rules."""
