"""Moved: manipulability lives in :mod:`kinejac.analysis` (measures, gradients, ellipsoids,
singularities, one module each). This module re-exports its former public names, so that
``kinejac.dexterity`` keeps working; new code imports from ``kinejac`` or ``kinejac.analysis``.
"""

from .analysis.ellipsoids import Ellipsoid, force_ellipsoid, velocity_ellipsoid
from .analysis.gradients import manipulability_gradient
from .analysis.measures import MEASURES, manipulability
from .analysis.rows import PARTS, generic_rank
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

