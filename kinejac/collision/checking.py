"""Exact collision checks with coal: which pairs collide, and how far apart the closest pair is.

A :class:`CollisionChecker` holds one pinocchio ``GeometryModel``: the robot's collision geometry
plus the obstacles (attached to the world), and the pairs to check: every pair of links with
geometry that is not disabled (:attr:`Robot.disabled_pairs`), and every link against every
obstacle. :func:`collisions` and :func:`clearance` build one per robot and scene and keep it
(the last few scenes, by identity of the obstacle objects).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pinocchio as pin

from ..errors import InvalidValueError
from .geometry import geometry_links
from .obstacles import Obstacle, as_scene, coal_geometry, obstacle_names

__all__ = ["Clearance", "CollisionChecker", "clearance", "collisions", "in_collision"]

_CACHE_SIZE = 4


@dataclass(frozen=True)
class Clearance:
    """The closest pair of one configuration.

    Attributes:
        distance: signed distance [m]; negative when the pair penetrates (the penetration depth
            coal reports: exact for convex shapes, coal's estimate for pairs of triangle meshes).
            ``inf`` when there is nothing to check.
        pair: ``(link, link)`` or ``(link, obstacle)`` names.
        point_a, point_b: ``(3,)`` [m] witness points in world coordinates on each member of the pair.
    """

    distance: float
    pair: tuple[str, str] | None
    point_a: np.ndarray
    point_b: np.ndarray


class CollisionChecker:
    """Exact (coal) collision checks of one robot in one scene.

    Args:
        robot: the robot (its :attr:`~kinejac.Robot.collision_model` and
            :attr:`~kinejac.Robot.disabled_pairs` are used).
        obstacles: a scene (sequence of obstacles, or a JSON file path).
        self_collision: check pairs of links (default); ``False`` checks links against obstacles only.

    Not thread-safe (one ``GeometryData`` workspace); make one per thread.
    """

    def __init__(self, robot, obstacles=(), *, self_collision: bool = True) -> None:
        self.robot = _robot(robot, "CollisionChecker")
        self.obstacles = as_scene(obstacles)
        self.obstacle_names = tuple(obstacle_names(self.obstacles))
        gm = robot.collision_model.copy()
        gm.removeAllCollisionPairs()
        names = geometry_links(robot.model, gm)
        n_robot = len(names)
        for name, o in zip(self.obstacle_names, self.obstacles):
            for k, (shape, placement) in enumerate(coal_geometry(o)):
                g = pin.GeometryObject(f"obstacle/{name}/{k}", 0, 0, placement, shape)
                gm.addGeometryObject(g)
                names.append(name)
        disabled = robot.disabled_pairs if self_collision else {}
        pairs: list[tuple[str, str]] = []
        for g1 in range(n_robot):
            for g2 in range(g1 + 1, n_robot):
                a, b = sorted((names[g1], names[g2]))
                if self_collision and a != b and (a, b) not in disabled:
                    gm.addCollisionPair(pin.CollisionPair(g1, g2))
                    pairs.append((a, b))
        for g1 in range(n_robot):
            for g2 in range(n_robot, gm.ngeoms):
                gm.addCollisionPair(pin.CollisionPair(g1, g2))
                pairs.append((names[g1], names[g2]))
        self.geom_model = gm
        self.geom_data = pin.GeometryData(gm)
        for req in self.geom_data.collisionRequests:
            req.enable_contact = True
            req.security_margin = 0.0
        self.pairs = tuple(pairs)  #: names of each geometry pair, in ``geom_model.collisionPairs`` order
        self._data = robot.model.createData()
        self._results = self.geom_data.collisionResults  # a live view of the results, fetched once

    def __repr__(self) -> str:
        return f"CollisionChecker({self.robot.name!r}, obstacles={len(self.obstacles)}, pairs={len(self.pairs)})"

    def _each(self, q, one):
        q = self.robot.check_q(q)
        return one(q) if q.ndim == 1 else [one(qi) for qi in q]

    def _collide(self, q: np.ndarray) -> list[int]:
        """Indices of the colliding pairs (every pair checked)."""
        if not self.pairs:
            return []
        pin.computeCollisions(self.robot.model, self._data, self.geom_model, self.geom_data, q, False)
        return [k for k, r in enumerate(self._results) if r.isCollision()]

    def collisions(self, q) -> list[tuple[str, str]] | list[list[tuple[str, str]]]:
        """The colliding pairs by name, sorted (empty: free); a list per configuration for ``(B, nq)``."""
        return self._each(q, lambda qi: sorted({self.pairs[k] for k in self._collide(qi)}))

    def _any(self, q: np.ndarray) -> bool:
        if not self.pairs:
            return False
        return bool(pin.computeCollisions(self.robot.model, self._data, self.geom_model, self.geom_data, q, True))

    def in_collision(self, q) -> bool | np.ndarray:
        """Whether any checked pair collides (stops at the first): a bool, or ``(B,)`` bools."""
        out = self._each(q, self._any)
        return np.array(out, dtype=bool) if isinstance(out, list) else out

    def distances(self, q) -> np.ndarray:
        """Signed distance [m] of every checked pair ``(P,)`` (in :attr:`pairs` order), or ``(B, P)``."""
        out = self._each(q, lambda qi: self._distances(qi)[0])
        return np.array(out).reshape(-1, len(self.pairs)) if isinstance(out, list) else out

    def _distances(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(signed distances (P,), witness points (P, 2, 3))."""
        P = len(self.pairs)
        d, w = np.full(P, np.inf), np.zeros((P, 2, 3))
        if not P:
            return d, w
        model, gm, gd = self.robot.model, self.geom_model, self.geom_data
        pin.computeDistances(model, self._data, gm, gd, q)
        for k, r in enumerate(gd.distanceResults):
            d[k] = r.min_distance
            w[k] = r.getNearestPoint1(), r.getNearestPoint2()
        pin.computeCollisions(gm, gd, False)  # placements are already up to date
        for k, r in enumerate(gd.collisionResults):
            if not r.isCollision():
                continue
            # a colliding pair has d <= 0: coal's mesh distance says 0 there, its contact gives the depth
            contacts = [r.getContact(i) for i in range(r.numContacts())]
            if contacts:
                c = min(contacts, key=lambda c: c.penetration_depth)
                depth = min(c.penetration_depth, 0.0)
                if depth < d[k] or d[k] > 0:
                    d[k] = depth
                    w[k] = c.getNearestPoint1(), c.getNearestPoint2()
            elif d[k] > 0:
                d[k] = 0.0
        return d, w

    def clearance(self, q) -> Clearance | list[Clearance]:
        """The closest checked pair (:class:`Clearance`); a list for ``(B, nq)``."""

        def one(qi):
            d, w = self._distances(qi)
            if not len(d):
                return Clearance(np.inf, None, np.full(3, np.nan), np.full(3, np.nan))
            k = int(np.argmin(d))
            return Clearance(float(d[k]), self.pairs[k], w[k, 0].copy(), w[k, 1].copy())

        return self._each(q, one)


def _robot(robot, where: str):
    """``robot`` if it is a kinejac ``Robot`` (read from its class: a ``Robot`` is what has these), else
    :class:`InvalidValueError` naming ``where`` (this module stays below :mod:`kinejac.robot`)."""
    if not all(hasattr(type(robot), a) for a in ("collision_model", "disabled_pairs", "check_q", "frame_id")):
        raise InvalidValueError(f"{where} needs a kinejac.Robot (kinejac.load(...)), got {type(robot).__name__}")
    return robot


def checker(robot, obstacles=(), self_collision: bool = True) -> CollisionChecker:
    """A cached :class:`CollisionChecker` for this robot and scene (by identity of the obstacles)."""
    _robot(robot, "the collision check")
    if not isinstance(self_collision, (bool, np.bool_)):
        raise InvalidValueError(f"self_collision must be True or False, got {self_collision!r}")
    scene = as_scene(obstacles)
    key = (tuple(id(o) for o in scene), bool(self_collision))
    cache = robot.cache.setdefault("collision_checkers", {})
    hit = cache.get(key)
    if hit is not None:
        return hit
    made = CollisionChecker(robot, scene, self_collision=self_collision)
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = made
    return made


def collisions(robot, q, obstacles: Sequence[Obstacle] = (), *, self_collision: bool = True):
    """The colliding pairs of ``q`` by name, exact (coal): a sorted list of ``(name, name)``,
    empty when free; a list of lists for ``q`` of shape ``(B, nq)``.

    Self pairs are pairs of links not in :attr:`Robot.disabled_pairs`; every link is checked
    against every obstacle (named by ``name`` or ``<kind>_<index>``).
    """
    return checker(robot, obstacles, self_collision).collisions(q)


def in_collision(robot, q, obstacles: Sequence[Obstacle] = (), *, self_collision: bool = True):
    """Whether ``q`` collides (stops at the first colliding pair): a bool, or ``(B,)`` bools."""
    return checker(robot, obstacles, self_collision).in_collision(q)


def clearance(robot, q, obstacles: Sequence[Obstacle] = (), *, self_collision: bool = True):
    """Signed distance [m] of the closest pair with the pair and witness points (:class:`Clearance`);
    a list of them for ``q`` of shape ``(B, nq)``."""
    return checker(robot, obstacles, self_collision).clearance(q)
