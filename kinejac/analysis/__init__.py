"""Manipulability analysis: measures, their gradients, ellipsoids, singularities and workspace maps.

One module per concept, in the order the data flows:

- :mod:`~kinejac.analysis.rows`: which Jacobian rows are analysed (the ``part``), their generic
  rank, and the matrix that is measured (``S J``, or ``S J M⁻¹`` for the dynamic measure);
- :mod:`~kinejac.analysis.dynamics`: the joint-space inertia and its derivative (pinocchio);
- :mod:`~kinejac.analysis.measures`: the table of measures (each one's value and derivative with
  respect to the singular values) and :func:`manipulability`;
- :mod:`~kinejac.analysis.gradients`: :func:`manipulability_gradient`, by the chain rule;
- :mod:`~kinejac.analysis.ellipsoids`, :mod:`~kinejac.analysis.singularities`: the geometry of
  the Jacobian at one configuration;
- :mod:`~kinejac.analysis.workspace_map`: :func:`workspace`, the measure over sampled configurations.

One signature style: ``(robot, q, frame, <own leading arguments>, measure, part, *, length_scale,
options)``: ``measure`` and ``part`` may be given by position or by keyword, everything after them
only by keyword. ``q`` is ``(nq,)`` or a batch ``(B, nq)``; results of a batch have a leading ``B``
axis.
"""

from .ellipsoids import Ellipsoid, force_ellipsoid, velocity_ellipsoid
from .gradients import manipulability_gradient
from .measures import MEASURE_TABLE, MEASURES, Measure, MeasureDefinition, check_measure, manipulability
from .rows import AXES, PARTS, Part, PartRows, check_part, generic_rank
from .singularities import SingularityReport, singularity
from .workspace_map import Workspace, workspace

__all__ = [
    "AXES",
    "MEASURES",
    "MEASURE_TABLE",
    "PARTS",
    "Ellipsoid",
    "Measure",
    "MeasureDefinition",
    "Part",
    "PartRows",
    "SingularityReport",
    "Workspace",
    "check_measure",
    "check_part",
    "force_ellipsoid",
    "generic_rank",
    "manipulability",
    "manipulability_gradient",
    "singularity",
    "velocity_ellipsoid",
    "workspace",
]
