"""azure: pure rules and builders; Pulumi components are imported from submodules."""
