"""kinejac: geometric Jacobians, inverse kinematics and manipulability on URDF robots.

Built on pinocchio. Poses are 4x4 ``T_world_frame`` arrays, twists ``[linear; angular]``;
see README.md for the conventions.
"""

from .check import DerivativeReport, check_derivatives
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
from .kinematics import hessian, jacobian, jacobian_dot, pose, twist, vjp
from .robot import JointInfo, Robot
from .spatial import Reference
from .urdf import available_robots, load

__version__ = "0.1.0"

__all__ = [
    "DerivativeReport",
    "FrameNotFound",
    "InvalidChoiceError",
    "InvalidValueError",
    "JointInfo",
    "JointNotFound",
    "KinejacError",
    "NotFoundError",
    "Reference",
    "Robot",
    "RobotNotFound",
    "ShapeError",
    "URDFError",
    "URDFNotFound",
    "__version__",
    "available_robots",
    "check_derivatives",
    "hessian",
    "jacobian",
    "jacobian_dot",
    "load",
    "pose",
    "twist",
    "vjp",
]
