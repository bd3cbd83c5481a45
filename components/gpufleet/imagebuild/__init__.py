"""Baked GPU images: a fleet's ``images:`` section built by each cloud's managed image builder.

- :mod:`.validate`: spec checks of the images and of the groups that boot them.
- :mod:`.script`: the build script (the same ``bootstrap/`` scripts, run in ``build`` mode).
- :mod:`.cost`: the estimated build cost (builder instance-hours at the catalog price).
- :mod:`.aws`: pure builders of the EC2 Image Builder resources.
- :mod:`.component`: ``GpuImage``, which only wires them.
"""
