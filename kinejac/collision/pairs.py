"""Disabled collision pairs: which link pairs are never checked for self-collision.

They come from an SRDF's ``<disable_collisions link1=... link2=... reason=...>`` elements, or are
generated the way MoveIt's setup assistant does it:

- ``adjacent``: links joined by a joint (links without collision geometry are transparent, so a
  link is adjacent to its nearest ancestor that has geometry);
- ``never``: pairs that did not collide in any of ``samples`` configurations drawn uniformly within
  the joint limits (seeded; default 10,000 samples, as in MoveIt);
- ``always``: pairs that collided in every sampled configuration (they cannot be told apart
  from touching by design).

A pair is a tuple of two link names sorted by name. :func:`write_srdf` saves pairs as an SRDF file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pinocchio as pin

from .._checks import check_memory, positive
from ..errors import KinejacError, NotFoundError
from .geometry import adjacent_links, geometry_links

__all__ = [
    "DEFAULT_SAMPLES",
    "LinkNotFound",
    "SRDFError",
    "check_samples",
    "generate_disabled_pairs",
    "read_srdf",
    "write_srdf",
]

DEFAULT_SAMPLES = 10_000  #: configurations sampled by :func:`generate_disabled_pairs` (MoveIt's default)


class SRDFError(KinejacError, ValueError):
    """An SRDF file cannot be read, or names links the robot does not have."""


class LinkNotFound(NotFoundError, KeyError):
    """No link of that name in the robot model."""

    kind = "link"


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def link_names(robot) -> list[str]:
    """The robot's links (BODY frames), in model order."""
    return [f.name for f in robot.model.frames if f.type == pin.FrameType.BODY]


def check_pairs(robot, pairs: Mapping[tuple[str, str], str] | Iterable[tuple[str, str]], where: str) -> dict:
    """Validate link pairs against the robot; returns ``{sorted pair: reason}``."""
    links = link_names(robot)
    known = set(links)
    reasons = pairs if isinstance(pairs, Mapping) else dict.fromkeys(pairs, "user")
    out: dict[tuple[str, str], str] = {}
    for pair, reason in reasons.items():
        if isinstance(pair, str) or len(tuple(pair)) != 2:
            raise SRDFError(f"{where}: a disabled pair must be two link names, got {pair!r}")
        a, b = (str(x) for x in pair)
        for name in (a, b):
            if name not in known:
                raise LinkNotFound(name, links, where=f"robot {robot.name!r} ({where})")
        out[_pair(a, b)] = str(reason)
    return out


def read_srdf(robot, path: str | Path) -> dict[tuple[str, str], str]:
    """``{(link1, link2): reason}`` from the ``<disable_collisions>`` elements of an SRDF file
    (reasons in lower case: ``adjacent``, ``never``, ``always``, ``default``, ...).

    Raises :class:`SRDFError` for an unreadable file or an element without both links, and
    :class:`LinkNotFound` (listing the robot's links) for a link the robot does not have.
    """
    if not isinstance(path, (str, Path)):
        raise SRDFError(f"an SRDF file name must be a str or pathlib.Path, got {type(path).__name__}")
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except OSError as exc:
        raise SRDFError(f"cannot read SRDF file {str(path)!r}: {exc.strerror or exc}") from None
    except ET.ParseError as exc:
        raise SRDFError(f"{path}: not well-formed XML: {exc}") from None
    if root.tag != "robot":
        raise SRDFError(f"{path}: the root element is <{root.tag}>, expected <robot>")
    if root.find("link") is not None or root.find("joint") is not None:  # an SRDF has neither
        raise SRDFError(
            f"{path}: this is a URDF (it has <link>/<joint> elements), not an SRDF; give the SRDF file with the "
            "<disable_collisions> elements (kinejac srdf ROBOT --out FILE writes one)"
        )
    raw: dict[tuple[str, str], str] = {}
    for el in root.iter("disable_collisions"):
        a, b = el.get("link1"), el.get("link2")
        if not a or not b:
            raise SRDFError(f"{path}: a <disable_collisions> element lacks link1 or link2: {ET.tostring(el).decode()}")
        raw[(a, b)] = el.get("reason", "").lower()
    return check_pairs(robot, raw, str(path))


def write_srdf(robot, pairs: Mapping[tuple[str, str], str], path: str | Path) -> Path:
    """Write disabled pairs as an SRDF file (``<robot name=...>`` + ``<disable_collisions>``)."""
    path = Path(path)
    root = ET.Element("robot", name=robot.name)
    root.append(ET.Comment(" disabled collision pairs written by kinejac "))
    for (a, b), reason in sorted(pairs.items()):
        ET.SubElement(root, "disable_collisions", link1=a, link2=b, reason=reason.capitalize())
    ET.indent(root)
    path.write_text('<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
    return path


def check_samples(robot, samples) -> int:
    """``samples`` for :func:`generate_disabled_pairs`: an integer >= 1 whose configurations fit in
    the memory limit (:class:`~kinejac.errors.ResourceLimitError` otherwise)."""
    samples = positive("samples", samples, integer=True)
    check_memory(8.0 * samples * (robot.nq + 1), f"disabled pairs from {samples} samples", "take fewer samples")
    return samples


def generate_disabled_pairs(
    robot, samples: int = DEFAULT_SAMPLES, seed: int = 0, geom_model: pin.GeometryModel | None = None
) -> dict[tuple[str, str], str]:
    """Generate disabled pairs (``{pair: "adjacent" | "never" | "always"}``) by sampling.

    Args:
        robot: a robot with collision geometry.
        samples: configurations drawn uniformly within the limits with ``numpy.random.default_rng(seed)``.
        geom_model: the collision geometry (default ``robot.collision_model``).

    A pair stops being checked once it has been seen both colliding and free, so the cost falls
    as sampling goes on. Links with no geometry are not listed (they cannot collide).
    """
    samples = check_samples(robot, samples)
    gm = robot.collision_model if geom_model is None else geom_model
    links = geometry_links(robot.model, gm)
    have = sorted(set(links))
    adjacent = adjacent_links(robot.model, have)
    out: dict[tuple[str, str], str] = dict.fromkeys(adjacent, "adjacent")
    candidates = [(a, b) for i, a in enumerate(have) for b in have[i + 1 :] if (a, b) not in adjacent]
    index = {p: k for k, p in enumerate(candidates)}
    gm = gm.copy()
    gm.removeAllCollisionPairs()
    pair_of: list[int] = []  # geometry pair -> candidate link pair
    for g1 in range(gm.ngeoms):
        for g2 in range(g1 + 1, gm.ngeoms):
            if _pair(links[g1], links[g2]) in index:
                gm.addCollisionPair(pin.CollisionPair(g1, g2))
                pair_of.append(index[_pair(links[g1], links[g2])])
    if not candidates:
        return out
    gd = pin.GeometryData(gm)
    data = robot.model.createData()
    pair_of_arr = np.array(pair_of)
    hits = np.zeros(len(candidates), dtype=np.int64)
    undecided = np.ones(len(candidates), dtype=bool)
    Q = robot.random_configuration(np.random.default_rng(seed), size=samples)
    active = np.ones(len(pair_of), dtype=bool)
    results = gd.collisionResults  # a live view: fetched once (each fetch costs ~1 µs per pair read)
    for n, q in enumerate(Q):
        still = undecided[pair_of_arr]
        for k in np.flatnonzero(active & ~still):
            gd.deactivateCollisionPair(int(k))
        active = still
        pin.computeCollisions(robot.model, data, gm, gd, q, False)
        seen = np.zeros(len(candidates), dtype=bool)
        for k in np.flatnonzero(active):
            if results[int(k)].isCollision():
                seen[pair_of_arr[k]] = True
        hits += seen
        # a pair seen both colliding and free is a real pair: stop checking it
        undecided &= ~((hits > 0) & (hits < n + 1))
        if not undecided.any():
            break
    for i, pair in enumerate(candidates):
        if undecided[i]:
            out[pair] = "never" if hits[i] == 0 else "always"
    return out
