"""kinejac: geometric Jacobians, inverse kinematics and manipulability on URDF robots.

Built on pinocchio. Poses are 4x4 ``T_world_frame`` arrays, twists ``[linear; angular]``;
see README.md for the conventions. The data flow, one module per concept:
``urdf`` (load) -> ``robot`` (Robot) -> ``kinematics`` (the Jacobian engine) -> ``ik``,
``analysis`` (manipulability measures, gradients, ellipsoids, singularities, workspace maps),
``collision``, ``reachability``, ``motion`` (Cartesian paths, velocity QP) -> ``viewer``,
``cli``; the IK iterations run in the compiled ``core``, and ``parallel`` runs chunked work on
every local core or a Dask cluster.
"""

from ._checks import memory_limit, set_memory_limit
from ._version import __version__
from .analysis import (
    MEASURES,
    Ellipsoid,
    SingularityReport,
    Workspace,
    force_ellipsoid,
    generic_rank,
    manipulability,
    manipulability_gradient,
    singularity,
    velocity_ellipsoid,
    workspace,
)
from .check import DerivativeReport, check_derivatives
from .collision import (
    Box,
    Capsule,
    Clearance,
    CollisionChecker,
    Cylinder,
    Mesh,
    PointCloud,
    Sphere,
    clearance,
    collisions,
    in_collision,
    load_scene,
)
from .errors import (
    FrameNotFound,
    InvalidChoiceError,
    InvalidValueError,
    JointNotFound,
    KinejacError,
    NotFoundError,
    ResourceLimitError,
    RobotNotFound,
    ShapeError,
    StructureError,
    UnknownOptionError,
    URDFError,
    URDFNotFound,
)
from .ik import (
    FrameTarget,
    IKBatchResult,
    IKReason,
    IKResult,
    IKSolutions,
    IKSolutionsBatch,
    IKSolver,
    IKStructure,
    ik_structure,
    joint_velocities,
    solve_ik,
    solve_ik_all,
    solve_ik_batch,
)
from .kinematics import hessian, jacobian, jacobian_dot, pose, twist, vjp
from .motion import (
    FrameTask,
    InfeasibleError,
    LinearConstraint,
    ObstacleDistance,
    PathReason,
    PathResult,
    PostureTask,
    VelocityIK,
    solve_ik_path,
    velocity_ik,
)
from .parallel import ClusterError
from .reachability import InverseReachability, ReachabilityMap, reachability, so3_grid
from .robot import JointInfo, Robot
from .spatial import Reference
from .urdf import RobotSource, available_robots, load

__all__ = [
    "MEASURES",
    "Box",
    "Capsule",
    "Clearance",
    "ClusterError",
    "CollisionChecker",
    "Cylinder",
    "DerivativeReport",
    "Ellipsoid",
    "FrameNotFound",
    "FrameTarget",
    "FrameTask",
    "IKBatchResult",
    "IKReason",
    "IKResult",
    "IKSolutions",
    "IKSolutionsBatch",
    "IKSolver",
    "IKStructure",
    "InfeasibleError",
    "InvalidChoiceError",
    "InvalidValueError",
    "InverseReachability",
    "JointInfo",
    "JointNotFound",
    "KinejacError",
    "LinearConstraint",
    "Mesh",
    "NotFoundError",
    "ObstacleDistance",
    "PathReason",
    "PathResult",
    "PointCloud",
    "PostureTask",
    "ReachabilityMap",
    "Reference",
    "ResourceLimitError",
    "Robot",
    "RobotNotFound",
    "RobotSource",
    "ShapeError",
    "SingularityReport",
    "Sphere",
    "StructureError",
    "URDFError",
    "URDFNotFound",
    "UnknownOptionError",
    "VelocityIK",
    "Viewer",
    "Workspace",
    "__version__",
    "available_robots",
    "check_derivatives",
    "clearance",
    "collisions",
    "force_ellipsoid",
    "generic_rank",
    "hessian",
    "ik_structure",
    "in_collision",
    "jacobian",
    "jacobian_dot",
    "joint_velocities",
    "load",
    "load_scene",
    "manipulability",
    "manipulability_gradient",
    "memory_limit",
    "pose",
    "reachability",
    "set_memory_limit",
    "singularity",
    "so3_grid",
    "solve_ik",
    "solve_ik_all",
    "solve_ik_batch",
    "solve_ik_path",
    "twist",
    "velocity_ellipsoid",
    "velocity_ik",
    "vjp",
    "workspace",
]


def __getattr__(name: str):
    """``kinejac.Viewer`` is imported on first use, so ``import kinejac`` never loads meshcat."""
    if name == "Viewer":
        from .viewer import Viewer

        return Viewer
    raise AttributeError(f"module 'kinejac' has no attribute {name!r}")
