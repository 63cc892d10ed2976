"""Moved: manipulability lives in :mod:`kinejac.analysis` (measures, gradients, ellipsoids,
singularities, one module each). This module re-exports its former public names, so that
``kinejac.dexterity`` keeps working; new code imports from ``kinejac`` or ``kinejac.analysis``.
"""

from .analysis.ellipsoids import Ellipsoid, force_ellipsoid, velocity_ellipsoid
from .analysis.gradients import manipulability_gradient
from .analysis.measures import MEASURES, check_measure, manipulability
from .analysis.rows import PARTS, check_part, generic_rank
from .analysis.singularities import SingularityReport, singularity

__all__ = [  # the same names as before the move
    "MEASURES",
    "PARTS",
    "Ellipsoid",
    "SingularityReport",
    "force_ellipsoid",
    "generic_rank",
    "manipulability",
    "manipulability_gradient",
    "singularity",
    "velocity_ellipsoid",
]

# Transitional: kinejac/reachability_map.py still imports these two former private names; delete
# them once it imports kinejac.analysis.check_measure and kinejac.analysis.check_part.
_check_measure = check_measure
_task = check_part
