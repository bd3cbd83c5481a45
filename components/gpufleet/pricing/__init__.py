"""The caps-and-pricing model: the only reader of catalog prices and spot caps.

- :mod:`gpufleet.pricing.caps`: a group's :class:`SpotCaps` (per-type caps, basis,
  currency, pinned or derived, and where a pin was computed) and how its cloud combines them;
- :mod:`gpufleet.pricing.price`: catalog quotes, the on-demand/spot split and
  :func:`price_nodes`, the worst-case node prices that the cost table and the budget policy share;
- :mod:`gpufleet.pricing.schedule`: the schedule-weighted expected node-hours of a group.
"""

from gpufleet.pricing.caps import PinRecord, SpotCaps, cap_problems, fresh_pin, spot_caps
from gpufleet.pricing.price import (
    HOURS_PER_MONTH,
    SPOT_ASSUMPTIONS,
    NodePrices,
    NodeSplit,
    SpotAssumption,
    TypePrice,
    price_nodes,
    split_nodes,
)

__all__ = [
    "HOURS_PER_MONTH",
    "SPOT_ASSUMPTIONS",
    "NodePrices",
    "NodeSplit",
    "PinRecord",
    "SpotAssumption",
    "SpotCaps",
    "TypePrice",
    "cap_problems",
    "fresh_pin",
    "price_nodes",
    "split_nodes",
    "spot_caps",
]
