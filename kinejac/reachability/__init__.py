"""Reachability maps: which poses of a frame a robot can reach, voxel by voxel, and where to put
its base to reach a given pose (inverse reachability).

One direction inside the package, from the ground up:

- :mod:`.grid`: voxels, the SO(3) orientation set, bounds on the reach (no IK);
- :mod:`.inverse`: base placements that reach a target, looked up in a map;
- :mod:`.files`: a map file read back and checked, field by field;
- :mod:`.result`: :class:`ReachabilityMap`, the map as data (look-ups, files, pictures);
- :mod:`.chunk`: IK for one chunk of voxels (continuation, waves, repair), given the solvers;
- :mod:`.build`: :func:`reachability`, which plans the chunks, runs them (:mod:`kinejac.parallel`)
  and assembles the map.

``kinejac.reachability`` is also the name of the function :func:`reachability` in the top-level
package (``kinejac.reachability(robot, frame, ...)``): import this package's modules with
``from kinejac.reachability import build``.
"""

from .build import IK_DEFAULTS, RESTARTS, reachability
from .files import MapFileError, MapFileNotFound
from .grid import so3_grid
from .inverse import InverseReachability
from .result import ReachabilityMap

__all__ = [
    "IK_DEFAULTS",
    "RESTARTS",
    "InverseReachability",
    "MapFileError",
    "MapFileNotFound",
    "ReachabilityMap",
    "reachability",
    "so3_grid",
]
