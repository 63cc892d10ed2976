"""The exception hierarchy: every error kinejac raises derives from :class:`KinejacError`.

Input errors also derive from the matching builtin (``ValueError``, ``LookupError``/``KeyError``,
``FileNotFoundError``) so generic handlers keep working.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "FrameNotFound",
    "InvalidChoiceError",
    "InvalidValueError",
    "JointNotFound",
    "KinejacError",
    "NotFoundError",
    "ResourceLimitError",
    "RobotNotFound",
    "ShapeError",
    "StructureError",
    "URDFError",
    "URDFNotFound",
    "UnknownOptionError",
]


class KinejacError(Exception):
    """Base class of every error raised by kinejac."""


class ShapeError(KinejacError, ValueError):
    """An array argument has the wrong shape, e.g. ``q`` of shape (6,) for a robot with nq = 7."""


class InvalidValueError(KinejacError, ValueError):
    """An argument has the right shape but an invalid value (NaN/inf, not a rotation, ...)."""


class ResourceLimitError(KinejacError, ValueError):
    """The arguments ask for more memory or work than the set limit allows (the message gives the
    estimate, the limit and the argument to change); nothing was computed. See
    :func:`kinejac.set_memory_limit`."""


class InvalidChoiceError(KinejacError, ValueError):
    """An option was not one of its allowed values; the message lists them."""

    def __init__(self, what: str, got: object, valid: Iterable[str]) -> None:
        self.what, self.got, self.valid = what, got, tuple(valid)
        super().__init__(f"unknown {what} {got!r}; valid values are: {', '.join(self.valid)}")


def _closest(name: str, names: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``names`` close to ``name``, ignoring case: the names equal to it but for
    case if there are any, else the closest by ``difflib`` similarity (at least 0.5)."""
    folded: dict[str, list[str]] = {}
    for candidate in dict.fromkeys(names):
        folded.setdefault(candidate.casefold(), []).append(candidate)
    key = str(name).casefold()
    if key in folded:
        return folded[key][:n]
    close: list[str] = []
    for match in difflib.get_close_matches(key, list(folded), n=n, cutoff=0.5):
        close += folded[match]
    return close[:n]


class NotFoundError(KinejacError, LookupError):
    """A named thing (frame, joint, robot) does not exist; the message lists close matches."""

    kind = "item"

    def __init__(self, name: str, available: Iterable[str], where: str = "") -> None:
        self.name = name
        self.available = tuple(available)
        close = _closest(str(name), self.available)
        where = f" in {where}" if where else ""
        msg = f"{self.kind} {name!r} not found{where}"
        if close:
            msg += f"; did you mean {' or '.join(repr(c) for c in close)}?"
        shown = ", ".join(self.available[:40])
        more = f", ... ({len(self.available)} in all)" if len(self.available) > 40 else ""
        msg += "" if close else "."
        msg += f" Available: {shown}{more}" if self.available else " Nothing is available."
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0])


class FrameNotFound(NotFoundError, KeyError):
    """No frame of that name in the robot model."""

    kind = "frame"


class JointNotFound(NotFoundError, KeyError):
    """No joint of that name in the robot model."""

    kind = "joint"


class RobotNotFound(NotFoundError):
    """No bundled robot, URDF file or example-robot-data model of that name."""

    kind = "robot"


class StructureError(KinejacError, ValueError):
    """A frame's chain has no kinematic family with a closed-form (or 1-D search) IK; the message
    names the structure that was found (see :func:`kinejac.ik_structure`)."""


class URDFError(KinejacError, ValueError):
    """A URDF file cannot be turned into a valid model; the message names the file and element."""


class URDFNotFound(URDFError, FileNotFoundError):
    """A URDF file does not exist or cannot be read."""


class UnknownOptionError(KinejacError, TypeError):
    """A keyword option that the function does not take; the message suggests close names."""

    def __init__(self, where: str, name: str, close: Iterable[str], valid: Iterable[str]) -> None:
        self.where, self.name, self.valid = where, name, tuple(valid)
        close = list(close)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
        call = where if where.endswith(")") else f"{where}()"  # "f()", or "f(ik_options=...)" as given
        super().__init__(f"{call} got an unknown option {name!r}{hint} Options: {', '.join(self.valid)}")
