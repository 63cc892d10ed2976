"""The native collision world against coal (pinocchio's own geometry, the full mesh check), and
collision-free IK whose successful answers an independent pinocchio + coal check finds free."""

from __future__ import annotations

import coal
import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac import core
from kinejac.collision import Box, Capsule, CollisionChecker, Cylinder, Sphere
from kinejac.collision.shapes import mesh_arrays
from kinejac.collision.world import mesh_pieces
from kinejac.urdf import erd_share

FRAME = "panda_hand_tcp"
needs_erd = pytest.mark.skipif(erd_share() is None, reason="example-robot-data is not installed")


def _T(xyz, rpy=(0.0, 0.0, 0.0)):
    T = np.eye(4)
    T[:3, :3] = pin.rpy.rpyToMatrix(*rpy)
    T[:3, 3] = xyz
    return T


def shelf() -> list:
    """A shelf of 2 x 3 compartments in front of the robot, a floor 2 cm under its base, and a few
    primitives of every kind among the boards."""
    x0, depth, width, t, gap = 0.42, 0.34, 0.66, 0.02, 0.28
    xc, boards = x0 + depth / 2, [0.12 + i * gap for i in range(4)]
    height, zc = boards[-1] - boards[0], (boards[-1] + boards[0]) / 2
    scene = [Box([1.6, 1.6, 0.04], _T([0.2, 0.0, -0.04]), name="floor")]
    scene += [Box([depth, width, t], _T([xc, 0.0, z]), name=f"board_{i}") for i, z in enumerate(boards)]
    scene += [Box([depth, t, height], _T([xc, y, zc]), name=f"wall_{i}") for i, y in enumerate((-0.33, 0.0, 0.33))]
    scene.append(Box([t, width, height], _T([x0 + depth, 0.0, zc]), name="back"))
    scene += [
        Sphere(0.05, [0.55, 0.15, 0.25], name="ball"),
        Capsule(0.03, 0.2, _T([0.5, -0.15, 0.5], (1.2, 0.0, 0.0)), name="pole"),
        Cylinder(0.04, 0.15, _T([0.3, 0.3, 0.2], (0.0, 0.5, 0.0)), name="can"),
    ]
    return scene


@pytest.fixture(scope="module")
def erd_panda():
    share = erd_share()
    srdf = share / "example-robot-data/robots/panda_description/srdf/panda.srdf"
    return kinejac.load(
        share / "example-robot-data/robots/panda_description/urdf/panda.urdf",
        locked_joints=["panda_finger_joint1"],
        srdf=srdf,
    )


class CoalCheck:
    """pinocchio + coal alone: the robot's geometry from its URDF, pairs removed with the SRDF,
    the obstacles as coal shapes (no kinejac.collision code)."""

    def __init__(self, robot, scene) -> None:
        self.model, self.data = robot.model, robot.model.createData()
        gm = pin.buildGeomFromUrdf(
            robot.model, str(robot.urdf_path), pin.GeometryType.COLLISION, package_dirs=list(robot.package_dirs)
        )
        gm.addAllCollisionPairs()
        srdf = erd_share() / "example-robot-data/robots/panda_description/srdf/panda.srdf"
        pin.removeCollisionPairs(robot.model, gm, str(srdf))
        n = gm.ngeoms
        for o in scene:
            if isinstance(o, Box):
                shape = coal.Box(*o.size)
            elif isinstance(o, Sphere):
                shape = coal.Sphere(o.radius)
            elif isinstance(o, Capsule):
                shape = coal.Capsule(o.radius, o.length)
            else:
                shape = coal.Cylinder(o.radius, o.length)
            k = gm.addGeometryObject(pin.GeometryObject(o.name, 0, 0, pin.SE3(o.pose), shape))
            for r in range(n):
                gm.addCollisionPair(pin.CollisionPair(r, k))
        self.gm, self.gd = gm, pin.GeometryData(gm)

    def collides(self, q) -> bool:
        return bool(pin.computeCollisions(self.model, self.data, self.gm, self.gd, q, True))


def test_mesh_pieces_tell_convex_meshes_from_the_others():
    # a cube: exact; an L-shaped prism (two boxes glued): triangles
    from scipy.spatial import ConvexHull

    c = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=float)
    cube = mesh_pieces(c, ConvexHull(c).simplices)
    assert cube.inner is None and cube.slack == 0.0 and len(cube.outer) == 1 and len(cube.outer[0]) == 8
    L = np.array([[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]], dtype=float)
    V = np.vstack([np.c_[L, np.zeros(6)], np.c_[L, np.ones(6)]])
    caps = [(0, 1, 2), (0, 2, 3), (0, 3, 5), (3, 4, 5)]
    F = [*caps, *[(6 + c, 6 + b, 6 + a) for a, b, c in caps]]
    for i in range(6):
        j = (i + 1) % 6
        F += [(i, j, 6 + j), (i, 6 + j, 6 + i)]
    lshape = mesh_pieces(V, np.array(F))
    assert lshape.inner is None and len(lshape.outer) == len(F)  # one piece per triangle


@needs_erd
def test_panda_meshes_are_hulls_with_a_small_slack_and_an_inner_core(erd_panda):
    for g in erd_panda.collision_model.geometryObjects:
        if not isinstance(g.geometry, coal.BVHModelBase):
            continue
        V, F = mesh_arrays(g.geometry)
        pieces = mesh_pieces(V, F)
        assert 0.0 < pieces.slack < 1e-3, g.name  # quads split along the other diagonal than the hull's
        assert pieces.inner is not None
        # the inner core lies inside every facet plane of the hull by at least the slack
        from scipy.spatial import ConvexHull

        eq = ConvexHull(V).equations
        assert (pieces.inner @ eq[:, :3].T + eq[:, 3]).max() <= -pieces.slack + 1e-12


@needs_erd
def test_the_world_agrees_with_coal_on_10000_configurations(erd_panda):
    scene = shelf()
    checker = CollisionChecker(erd_panda, scene)
    assert checker.world is not None
    oracle = CoalCheck(erd_panda, scene)
    Q = erd_panda.random_configuration(np.random.default_rng(21), size=10_000)
    ours = checker.in_collision(Q)
    theirs = np.array([oracle.collides(q) for q in Q])
    assert 0.1 < theirs.mean() < 0.9  # both answers occur often
    np.testing.assert_array_equal(ours, theirs)
    # the world alone (no coal) decides all but a few, and never against coal
    status = checker.status(Q)
    assert (status == 2).mean() < 0.01
    assert not (theirs & (status == 0)).any() and not (~theirs & (status == 1)).any()


@needs_erd
def test_pairs_and_clearance_agree_with_coal(erd_panda):
    scene = shelf()
    checker = CollisionChecker(erd_panda, scene)
    Q = erd_panda.random_configuration(np.random.default_rng(3), size=300)
    gm, gd = checker.geom_model, pin.GeometryData(checker.geom_model)
    data = erd_panda.model.createData()
    flags = checker._flags(Q)
    for i, q in enumerate(Q):
        pin.computeCollisions(erd_panda.model, data, gm, gd, q, False)
        coal_flags = [r.isCollision() for r in gd.collisionResults]
        assert flags[i].tolist() == coal_flags
    # the nearest pair and its distance, against coal's distances of every pair (free configurations)
    free = Q[~checker.in_collision(Q)][:60]
    found = checker.clearance(free)
    for q, c in zip(free, found):
        pin.computeDistances(erd_panda.model, data, gm, gd, q)
        d = np.array([r.min_distance for r in gd.distanceResults])
        assert c.distance == pytest.approx(d.min(), abs=2e-6)
        assert checker.pairs[int(np.argmin(d))] == c.pair or d[checker.pairs.index(c.pair)] <= d.min() + 2e-6
        assert np.linalg.norm(c.point_a - c.point_b) == pytest.approx(c.distance, abs=2e-6)


@needs_erd
def test_batches_equal_one_by_one_and_threads_change_nothing(erd_panda):
    checker = CollisionChecker(erd_panda, shelf())
    Q = erd_panda.random_configuration(np.random.default_rng(4), size=200)
    one = [checker.free(q, 0.01) for q in Q]
    assert checker.free(Q, 0.01).tolist() == one
    assert 0 < sum(one) < len(one)
    world, model = checker.world, core.model_of(erd_panda)
    for threads in (1, 2, 3):
        st = np.empty(len(Q), np.uint8)
        core.world_check(model, world, Q, 0.01, st, threads)
        np.testing.assert_array_equal(st, checker.status(Q, 0.01, threads=1))


@needs_erd
def test_no_successful_answer_collides_and_batch_equals_loop(erd_panda):
    scene = shelf()
    oracle = CoalCheck(erd_panda, scene)
    rng = np.random.default_rng(7)
    # targets: tool poses of free configurations with the hand inside the shelf
    fid = erd_panda.frame_id(FRAME)
    targets = []
    checker = CollisionChecker(erd_panda, scene)
    while len(targets) < 40:
        Q = erd_panda.random_configuration(rng, size=20_000)
        T, _ = core.frames(erd_panda, Q, fid, None, 0, False)
        inside = (T[:, 0, 3] > 0.5) & (T[:, 0, 3] < 0.72) & (T[:, 2, 3] > 0.15) & (T[:, 2, 3] < 0.9)
        for i in np.flatnonzero(inside):
            if checker.free(Q[i], 0.005) and not oracle.collides(Q[i]):
                targets.append(T[i])
    targets = np.array(targets[:40])
    plain = kinejac.solve_ik_batch(erd_panda, targets, FRAME, seed=0)
    assert sum(bool(s) and oracle.collides(q) for s, q in zip(plain.success, plain.q)) >= 5  # cluttered enough
    res = kinejac.solve_ik_batch(erd_panda, targets, FRAME, seed=0, obstacles=scene, self_collision=True)
    assert res.success.mean() >= 0.95
    for s, q in zip(res.success, res.q):
        if s:
            assert not oracle.collides(q)
    for i in range(0, 40, 8):  # sample i of the batch is the single solve with seed (0, i)
        one = kinejac.solve_ik(
            erd_panda, targets[i], FRAME, seed=(0, i), timeout=None, obstacles=scene, self_collision=True
        )
        np.testing.assert_array_equal(one.q, res.q[i])
        assert one.success == res.success[i]
    failed = [r for r in res.reason[~res.success]]
    assert all(r == kinejac.ik.IKReason.COLLISION for r in failed)
