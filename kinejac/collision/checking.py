"""Exact collision checks: which pairs collide, and how far apart the closest pair is.

A :class:`CollisionChecker` holds one pinocchio ``GeometryModel``: the robot's collision geometry
plus the obstacles (attached to the world), and the pairs to check: every pair of links with
geometry that is not disabled (:attr:`Robot.disabled_pairs`), and every link against every
obstacle. :func:`collisions` and :func:`clearance` build one per robot and scene and keep it
(the last few scenes, by identity of the obstacle objects).

The answers are coal's (a mesh is its triangles), computed by the native collision world
(:mod:`kinejac.collision.world`: covering spheres, then GJK on convex hulls and their eroded
cores) on threads for batches; the pairs it cannot decide (a distance within a mesh's slack of
zero or of the clearance) and the penetration depths go to coal itself. A geometry the world does
not support (planes, cones, ...) sends every check to coal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pinocchio as pin

from .. import core
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
        self._world_built = False
        self._world: core.World | None = None
        self._one: tuple | None = None  # the core's model, an output and the check, for single calls
        self._n_robot = n_robot

    @property
    def world(self):
        """The native collision world (:mod:`kinejac.collision.world`), built on first use; ``None``
        when a geometry is of a kind it does not support (then every check uses coal)."""
        if not self._world_built:
            from .world import build_world  # (imports scipy's Qhull)

            index = [(p.first, p.second) for p in self.geom_model.collisionPairs]
            self._world = build_world(self.robot, self.geom_model, index, self._n_robot)
            self._world_built = True
        return self._world

    def _batch(self, q) -> np.ndarray:
        q = self.robot.check_q(q)
        return np.ascontiguousarray(q.reshape(-1, self.robot.nq), dtype=float)

    def status(self, q, clearance: float = 0.0, threads: int | None = None) -> np.ndarray:
        """The native world's verdict on ``q (nq,)`` or ``(B, nq)`` for ``clearance`` [m], ``(B,)`` uint8:
        0 free, 1 in contact (or closer than ``clearance``), 2 unsure (coal decides, see :meth:`free`).
        Needs :attr:`world`."""
        Q = self._batch(q)
        out = np.empty(len(Q), np.uint8)
        core.world_check(
            core.model_of(self.robot), self.world, Q, float(clearance), out, threads or core.default_threads()
        )
        return out

    def free(self, q, clearance: float = 0.0) -> bool | np.ndarray:
        """Whether ``q`` is free with every checked pair at least ``clearance`` [m] apart (0: not
        touching): a bool, or ``(B,)`` bools. The native world decides; coal settles the unsure."""
        if (  # one plain configuration: straight to the world
            type(q) is np.ndarray
            and q.dtype == np.float64
            and q.shape == self.robot.plain_q_shape
            and self.world is not None
            and math.isfinite(q.sum())
        ):
            if self._one is None:
                        self._one = (core.model_of(self.robot), np.empty(1, np.uint8), core.world_check)
            model, out, check = self._one
            check(model, self.world, q.reshape(1, -1), float(clearance), out, 1)
            return bool(out[0] == 0) if out[0] != 2 else self._coal_free(q, clearance)
        Q = self._batch(q)
        if self.world is None or not self.pairs:
            out = np.array([self._coal_free(qi, clearance) for qi in Q], dtype=bool)
        else:
            st = self.status(Q, clearance)
            out = st == 0
            for i in np.flatnonzero(st == 2):
                out[i] = self._coal_free(Q[i], clearance)
        return out if np.ndim(q) == 2 else bool(out[0])

    def _coal_free(self, q: np.ndarray, clearance: float) -> bool:
        if clearance > 0.0:
            return bool(self._distances(q)[0].min(initial=np.inf) >= clearance)
        return not self._any_coal(q)

    def __repr__(self) -> str:
        return f"CollisionChecker({self.robot.name!r}, obstacles={len(self.obstacles)}, pairs={len(self.pairs)})"

    def _each(self, q, one):
        q = self.robot.check_q(q)
        return one(q) if q.ndim == 1 else [one(qi) for qi in q]

    def _collide_coal(self, q: np.ndarray) -> list[int]:
        """Indices of the colliding pairs by coal alone (every pair checked)."""
        if not self.pairs:
            return []
        pin.computeCollisions(self.robot.model, self._data, self.geom_model, self.geom_data, q, False)
        return [k for k, r in enumerate(self._results) if r.isCollision()]

    def _flags(self, Q: np.ndarray) -> np.ndarray:
        """``(B, P)`` bools: which pairs collide at each configuration (native world, coal for the unsure)."""
        P = len(self.pairs)
        if self.world is None or not P:
            out = np.zeros((len(Q), P), bool)
            for i, qi in enumerate(Q):
                out[i, self._collide_coal(qi)] = True
            return out
        flags = np.empty((len(Q), P), np.uint8)
        core.world_collide(core.model_of(self.robot), self.world, Q, flags, core.default_threads())
        out = flags == 1
        for row in np.flatnonzero((flags == 2).any(axis=1)).tolist():
            pin.updateGeometryPlacements(self.robot.model, self._data, self.geom_model, self.geom_data, Q[row])
            for pair in np.flatnonzero(flags[row] == 2).tolist():
                out[row, pair] = pin.computeCollision(self.geom_model, self.geom_data, pair)
        return out

    def _collide(self, q: np.ndarray) -> list[int]:
        """Indices of the colliding pairs (every pair checked)."""
        return np.flatnonzero(self._flags(self._batch(q))[0]).tolist()

    def collisions(self, q) -> list[tuple[str, str]] | list[list[tuple[str, str]]]:
        """The colliding pairs by name, sorted (empty: free); a list per configuration for ``(B, nq)``
        (batches run on threads)."""
        flags = self._flags(self._batch(q))
        found = [sorted({self.pairs[k] for k in np.flatnonzero(row)}) for row in flags]
        return found if np.ndim(q) == 2 else found[0]

    def _any_coal(self, q: np.ndarray) -> bool:
        if not self.pairs:
            return False
        return bool(pin.computeCollisions(self.robot.model, self._data, self.geom_model, self.geom_data, q, True))

    def _any(self, q: np.ndarray) -> bool:
        return not self.free(q)

    def in_collision(self, q) -> bool | np.ndarray:
        """Whether any checked pair collides (stops at the first): a bool, or ``(B,)`` bools (batches
        run on threads)."""
        if not self.pairs:
            return np.zeros(len(q), bool) if np.ndim(q) == 2 else False
        free = self.free(q)
        return ~free if isinstance(free, np.ndarray) else not free

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
        """The closest checked pair (:class:`Clearance`); a list for ``(B, nq)``.

        The native world bounds every pair's distance (on threads for batches); coal measures the
        pairs that may be the closest and whose bounds are not exact, and the depth of a pair in
        contact."""
        Q = self._batch(q)
        if not self.pairs:
            none = Clearance(np.inf, None, np.full(3, np.nan), np.full(3, np.nan))
            return none if np.ndim(q) == 1 else [none] * len(Q)
        if self.world is None:
            found = [self._nearest_coal(qi, range(len(self.pairs))) for qi in Q]
        else:
            B, P = len(Q), len(self.pairs)
            lo, hi, W = np.empty((B, P)), np.empty((B, P)), np.empty((B, P, 2, 3))
            core.world_distances(core.model_of(self.robot), self.world, Q, True, lo, hi, W, core.default_threads())
            found = []
            for i in range(B):
                best = hi[i].min()
                maybe = np.flatnonzero(lo[i] <= best)
                exact = (lo[i, maybe] == hi[i, maybe]) & (hi[i, maybe] > 0)
                if exact.all():
                    k = int(maybe[np.argmin(hi[i, maybe])])
                    found.append(Clearance(float(hi[i, k]), self.pairs[k], W[i, k, 0].copy(), W[i, k, 1].copy()))
                else:
                    found.append(self._nearest_coal(Q[i], maybe))
        return found if np.ndim(q) == 2 else found[0]

    def _nearest_coal(self, q: np.ndarray, pairs) -> Clearance:
        """The nearest of ``pairs`` (indices) by coal: distance, or depth for a pair in contact."""
        gm, gd = self.geom_model, self.geom_data
        pin.updateGeometryPlacements(self.robot.model, self._data, gm, gd, q)
        best = Clearance(np.inf, None, np.full(3, np.nan), np.full(3, np.nan))
        for k in pairs:
            k = int(k)
            r = pin.computeDistance(gm, gd, k)
            d, a, b = float(r.min_distance), r.getNearestPoint1(), r.getNearestPoint2()
            c = gd.collisionResults[k]
            pin.computeCollision(gm, gd, k)
            if c.isCollision():  # coal's mesh distance says 0 there, its contact gives the depth
                contacts = [c.getContact(i) for i in range(c.numContacts())]
                if contacts:
                    ct = min(contacts, key=lambda ct: ct.penetration_depth)
                    depth = min(ct.penetration_depth, 0.0)
                    if depth < d or d > 0:
                        d, a, b = depth, ct.getNearestPoint1(), ct.getNearestPoint2()
                elif d > 0:
                    d = 0.0
            if d < best.distance:
                best = Clearance(d, self.pairs[k], np.array(a, dtype=float), np.array(b, dtype=float))
        return best


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
