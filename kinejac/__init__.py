"""kinejac: geometric Jacobians, inverse kinematics and manipulability on URDF robots.

Built on pinocchio. Poses are 4x4 ``T_world_frame`` arrays, twists ``[linear; angular]``;
see README.md for the conventions. The data flow, one module per concept:
``urdf`` (load) -> ``robot`` (Robot) -> ``kinematics`` (the Jacobian engine) -> ``ik``,
``dexterity`` (manipulability), ``workspace_map``, ``reachability_map`` -> ``viewer``, ``cli``;
``parallel`` runs chunked work on every local core or a Dask cluster.
"""

from .check import DerivativeReport, check_derivatives
from .dexterity import (
    MEASURES,
    Ellipsoid,
    SingularityReport,
    force_ellipsoid,
    generic_rank,
    manipulability,
    manipulability_gradient,
    singularity,
    velocity_ellipsoid,
)
from .errors import (
    FrameNotFound,
    InvalidChoiceError,
    InvalidValueError,
    JointNotFound,
    KinejacError,
    NotFoundError,
    RobotNotFound,
    ShapeError,
    URDFError,
    URDFNotFound,
)
from .ik import (
    FrameTarget,
    IKBatchResult,
    IKReason,
    IKResult,
    IKSolver,
    joint_velocities,
    solve_ik,
    solve_ik_batch,
)
from .kinematics import hessian, jacobian, jacobian_dot, pose, twist, vjp
from .parallel import ClusterError
from .reachability_map import InverseReachability, ReachabilityMap, reachability, so3_grid
from .robot import JointInfo, Robot
from .spatial import Reference
from .urdf import RobotSource, available_robots, load
from .workspace_map import Workspace, workspace

__version__ = "0.1.0"

__all__ = [
    "MEASURES",
    "ClusterError",
    "DerivativeReport",
    "Ellipsoid",
    "FrameNotFound",
    "FrameTarget",
    "IKBatchResult",
    "IKReason",
    "IKResult",
    "IKSolver",
    "InvalidChoiceError",
    "InvalidValueError",
    "InverseReachability",
    "JointInfo",
    "JointNotFound",
    "KinejacError",
    "NotFoundError",
    "ReachabilityMap",
    "Reference",
    "Robot",
    "RobotNotFound",
    "RobotSource",
    "ShapeError",
    "SingularityReport",
    "URDFError",
    "URDFNotFound",
    "Viewer",
    "Workspace",
    "__version__",
    "available_robots",
    "check_derivatives",
    "force_ellipsoid",
    "generic_rank",
    "hessian",
    "jacobian",
    "jacobian_dot",
    "joint_velocities",
    "load",
    "manipulability",
    "manipulability_gradient",
    "pose",
    "reachability",
    "singularity",
    "so3_grid",
    "solve_ik",
    "solve_ik_batch",
    "twist",
    "velocity_ellipsoid",
    "vjp",
    "workspace",
]


def __getattr__(name: str):
    """``kinejac.Viewer`` is imported on first use, so ``import kinejac`` never loads meshcat."""
    if name == "Viewer":
        from .viewer import Viewer

        return Viewer
    raise AttributeError(f"module 'kinejac' has no attribute {name!r}")
