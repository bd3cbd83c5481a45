"""Contract checks: each captured resource mapped to the API request(s) its provider sends,
checked against the cloud's own machine-readable API model and a sourced table of rules that
no model encodes. ``base`` holds the shared mechanism; ``aws``, ``azure`` and ``alicloud`` the
per-cloud mappings and rules; ``check_plan`` runs them over a captured plan."""

from gpufleet.contract.check import CloudStatus, ContractReport, check_plan

__all__ = ["CloudStatus", "ContractReport", "check_plan"]
