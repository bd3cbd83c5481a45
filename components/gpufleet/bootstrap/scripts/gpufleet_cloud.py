#!/usr/bin/env python3
"""gpufleet-cloud: the few cloud calls a gpufleet node makes, with its own identity.

instance-type            this node's instance type / VM size
report CLASS REASON    a failed health run: count it; replace a hardware fault
                         unless the group is in a replacement loop
lifecycle-state          AWS: the Auto Scaling target lifecycle state
complete-lifecycle [CONTINUE|ABANDON]
                         AWS: complete the termination lifecycle action
azure-resource-id        Azure: the scale set's resource id
"""

import os
import sys
from typing import TYPE_CHECKING

sys.path.insert(0, os.environ.get("GPUFLEET_LIBDIR", "/usr/local/lib/gpufleet"))
if TYPE_CHECKING:
    from gpufleet.bootstrap.scripts import gpufleet_node
else:
    import gpufleet_node

if __name__ == "__main__":
    # One line, not this docstring: the shipped copy is minified to fit the user-data limit.
    sys.exit(
        gpufleet_node.main(
            sys.argv[1:],
            "usage: gpufleet-cloud instance-type|report CLASS REASON|lifecycle-state|"
            "complete-lifecycle [CONTINUE|ABANDON]|azure-resource-id",
        )
    )
