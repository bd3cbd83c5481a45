"""gpufleet: multi-cloud GPU provisioning as code (Pulumi components, policies, offline plan)."""

__version__ = "0.1.0"
