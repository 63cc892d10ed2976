"""Reachability maps: closed forms of the planar 2R arm, the same map from every executor (one
process, a local process pool, a real Dask cluster, one that loses a worker), checkpoints, files."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pinocchio as pin
import pytest
from chunk_helpers import slow_map_chunk
from conftest import get_robot
from scipy.spatial.transform import Rotation

import kinejac
from kinejac.reachability import build as rm
from kinejac.reachability import grid
from kinejac.reachability.chunk import chunk_seed

L1, L2 = 1.0, 0.8  # planar_2r link lengths [m]
PLANE = [[-2.0, -2.0, 0.0], [2.0, 2.0, 0.0]]  # the arm's plane, z = 0
PANDA = {"resolution": 0.25, "orientations": 8, "chunk": 8}  # 45 chunks, a few seconds on one core


def _map_2r(**kw):
    robot, frame = get_robot("planar_2r")
    options = {"resolution": 0.1, "orientations": "position", "bounds": PLANE, "part": "translation", "workers": 1}
    return kinejac.reachability(robot, frame, **{**options, **kw})


@pytest.fixture(scope="module")
def map_2r():
    return _map_2r()


@pytest.fixture(scope="module")
def panda():
    return kinejac.load("panda", locked_joints=["panda_finger_joint1"]), "panda_hand_tcp"


@pytest.fixture(scope="module")
def panda_map(panda):
    robot, frame = panda
    return kinejac.reachability(robot, frame, workers=1, **PANDA)


def assert_same_map(a, b):
    assert a.complete and b.complete
    np.testing.assert_array_equal(a.centres, b.centres)
    np.testing.assert_array_equal(a.reached, b.reached)
    np.testing.assert_array_equal(a.computed, b.computed)
    np.testing.assert_array_equal(a.manipulability, b.manipulability)  # NaN == NaN here
    np.testing.assert_array_equal(a.configurations, b.configurations)


# -- the orientation set ---------------------------------------------------------------------------
def test_so3_grid_is_rotations_spread_evenly():
    X = Rotation.random(3000, random_state=1).as_matrix()  # probes of SO(3)

    def covering_angle(G):  # the largest angle from a probe to its closest grid rotation [rad]
        tr = np.einsum("mij,nij->nm", G, X).max(axis=1)
        return np.arccos(np.clip((tr - 1) / 2, -1, 1)).max()

    for n in (1, 7, 50):
        G = kinejac.so3_grid(n)
        assert G.shape == (n, 3, 3)
        np.testing.assert_allclose(np.swapaxes(G, 1, 2) @ G, np.broadcast_to(np.eye(3), G.shape), atol=1e-12)
        np.testing.assert_allclose(np.linalg.det(G), 1.0, atol=1e-12)
    G = kinejac.so3_grid(50)
    assert np.abs(G.mean(axis=0)).max() < 0.05  # the mean of the Haar measure is the zero matrix
    random_sets = [covering_angle(Rotation.random(50, random_state=s).as_matrix()) for s in range(5)]
    assert covering_angle(G) < 0.9 * min(random_sets)  # better covered than by independent samples
    np.testing.assert_array_equal(kinejac.so3_grid(50), G)  # deterministic


# -- closed forms of the planar 2R arm ------------------------------------------------------------
def test_planar_2r_map_is_the_annulus(map_2r):
    m = map_2r
    assert m.complete and m.position_only and tuple(m.shape) == (41, 41, 1)
    r = np.linalg.norm(m.centres[:, :2], axis=1)
    on_boundary = (np.abs(r - (L1 - L2)) < 1e-9) | (np.abs(r - (L1 + L2)) < 1e-9)
    inside = (r > L1 - L2) & (r < L1 + L2)
    assert on_boundary.sum() == 8  # (±1.8, 0), (0, ±1.8), (±0.2, 0), (0, ±0.2): reached or not, both right
    np.testing.assert_array_equal(m.index[~on_boundary], inside[~on_boundary].astype(float))
    # best manipulability: w = l1 l2 |sin q2| with cos q2 = (r² - l1² - l2²) / (2 l1 l2)
    c2 = (r**2 - L1**2 - L2**2) / (2 * L1 * L2)
    w = L1 * L2 * np.sqrt(1 - c2[inside & ~on_boundary] ** 2)
    np.testing.assert_allclose(m.manipulability[inside & ~on_boundary], w, rtol=1e-5, atol=1e-6)
    assert np.isnan(m.manipulability[~inside & ~on_boundary]).all()
    # the stored configurations put the tool on the voxel centre
    robot, frame = get_robot("planar_2r")
    ok = m.index > 0
    P = kinejac.pose(robot, m.configurations[ok], frame)[:, :3, 3]
    np.testing.assert_allclose(P, m.centres[ok], atol=2e-6)
    assert m.reach_radius == pytest.approx(L1 + L2) and np.allclose(m.reach_centre, 0)


def test_planar_2r_inverse_reachability_is_the_annulus_around_the_target(map_2r):
    target = np.array([0.5, 0.3, 0.0])
    inv = map_2r.inverse(target, z=0.0, yaws=4, resolution=0.05)
    d = np.linalg.norm(inv.positions[:, :2] - target[:2], axis=1)
    # looked up at the nearest voxel, |target - base| is known to half a voxel diagonal
    slack = 0.5 * np.sqrt(2) * map_2r.resolution + 1e-9
    surely_in = (d > L1 - L2 + slack) & (d < L1 + L2 - slack)
    surely_out = (d < L1 - L2 - slack) | (d > L1 + L2 + slack)
    assert surely_in.sum() > 3000 and surely_out.sum() > 300
    np.testing.assert_array_equal(inv.score[surely_in], 1.0)
    np.testing.assert_array_equal(inv.score[surely_out], 0.0)
    assert not inv.unknown.any()  # the map covers the whole reach: outside it is known unreachable
    P, s = inv.as_points()
    assert len(P) == (inv.score > 0).sum() and (s > 0).all()
    # a reaching placement really reaches: IK from that base pose
    robot, frame = get_robot("planar_2r")
    k = int(np.flatnonzero(surely_in)[0])
    T_base_target = np.linalg.inv(inv.T_world_base(k, 1)) @ np.r_[np.c_[np.eye(3), target], [[0, 0, 0, 1]]]
    assert kinejac.solve_ik(robot, T_base_target[:3, 3], frame).success


def test_query_points_and_poses(map_2r, panda_map):
    m = map_2r
    assert m.query([1.0, 0.0, 0.0]) == 1.0 and m.query([0.0, 0.0, 0.0]) == 0.0
    points = [[1.0, 0.5, 0.0], [1.9, 0.0, 0.0], [5.0, 0.0, 0.0], [1.0, 0.0, 0.5]]
    # outside the voxels: beyond the reach sphere is unreachable, within it unknown (the map is one layer)
    np.testing.assert_array_equal(m.query(points), [1.0, 0.0, 0.0, np.nan])
    assert m.query(pin.SE3(np.eye(3), np.array([1.0, 0.5, 0.0]))) == 1.0  # a position map ignores rotations
    # an orientation map: each (voxel, orientation) of the map is what a pose query returns
    pm = panda_map
    v = np.flatnonzero(pm.index > 0)[:5]
    T = np.tile(np.eye(4), (len(v) * len(pm.orientations), 1, 1))
    T[:, :3, :3] = np.tile(pm.orientations, (len(v), 1, 1))
    T[:, :3, 3] = np.repeat(pm.centres[v], len(pm.orientations), axis=0)
    np.testing.assert_array_equal(pm.query(T), pm.reached[v].ravel().astype(float))
    np.testing.assert_array_equal(pm.query(pm.centres[v]), pm.index[v])
    with pytest.raises(kinejac.ShapeError):
        pm.query(np.zeros((2, 2)))


def test_orientation_map_solutions_reach_their_poses(panda, panda_map):
    robot, frame = panda
    m = panda_map
    assert m.complete and len(m.orientations) == 8 and 0.1 < np.mean(m.index > 0) < 0.6
    ok = np.flatnonzero(m.index > 0)
    T = kinejac.pose(robot, m.configurations[ok], frame)
    np.testing.assert_allclose(T[:, :3, 3], m.centres[ok], atol=2e-6)
    for i, Ti in zip(ok, T):  # the best configuration reaches one of the voxel's reached orientations
        angles = [np.linalg.norm(pin.log3(R.T @ Ti[:3, :3])) for R in m.orientations[m.reached[i]]]
        assert min(angles) < 2e-6
    np.testing.assert_allclose(m.manipulability[ok], kinejac.manipulability(robot, m.configurations[ok], frame))
    far = np.linalg.norm(m.centres - m.reach_centre, axis=1) > m.reach_radius
    assert far.any() and (m.index[far] == 0).all()


# -- the same map, whatever runs it -----------------------------------------------------------------
def test_same_map_from_a_process_pool(panda, panda_map):
    robot, frame = panda
    assert_same_map(kinejac.reachability(robot, frame, workers=2, **PANDA), panda_map)


def test_same_map_from_a_dask_cluster(panda, panda_map, dask_client):
    robot, frame = panda
    assert_same_map(kinejac.reachability(robot, frame, client=dask_client, **PANDA), panda_map)


def test_same_map_when_a_dask_worker_is_killed_mid_run(panda, panda_map, dask_client, tmp_path, monkeypatch):
    robot, frame = panda
    monkeypatch.setattr(rm, "map_chunk", slow_map_chunk)  # the same chunks, each >= 0.2 s: time to kill
    out: dict = {}

    def build():
        out["map"] = kinejac.reachability(robot, frame, client=dask_client, checkpoint=tmp_path, **PANDA)

    thread = threading.Thread(target=build)
    thread.start()
    killed = None
    deadline = time.monotonic() + 120
    while thread.is_alive() and killed is None and time.monotonic() < deadline:
        busy = {w: keys for w, keys in dask_client.processing().items() if keys}
        if len(list(tmp_path.glob("chunk-*.npz"))) >= 2 and busy:
            worker = next(iter(busy))
            pid = dask_client.run(os.getpid, workers=[worker])[worker]
            os.kill(pid, signal.SIGKILL)  # the chunk it was running is lost with it
            killed = worker
        time.sleep(0.02)
    thread.join(timeout=300)
    assert killed is not None, "the map finished before a worker could be killed"
    assert not thread.is_alive()
    assert_same_map(out["map"], panda_map)
    dask_client.wait_for_workers(2, timeout=60)  # the nanny restarts it for the next tests


def test_checkpoint_resume_after_ctrl_c_gives_the_same_map(monkeypatch, tmp_path, map_2r):
    calls = {"n": 0}
    real = rm.map_chunk

    def interrupted(payload, index):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(payload, index)

    monkeypatch.setattr(rm, "map_chunk", interrupted)
    with pytest.warns(RuntimeWarning, match="interrupted: 3 of 16 chunks computed"):
        partial = _map_2r(checkpoint=tmp_path)
    assert not partial.complete and np.isnan(partial.index).sum() > 0
    assert len(list(tmp_path.glob("chunk-*.npz"))) == 3
    assert "interrupted" in repr(partial)
    monkeypatch.setattr(rm, "map_chunk", real)
    calls["n"] = 0

    def counted(payload, index):
        calls["n"] += 1
        return real(payload, index)

    monkeypatch.setattr(rm, "map_chunk", counted)
    resumed = _map_2r(checkpoint=tmp_path)
    assert calls["n"] == 16 - 3  # only the missing chunks ran
    assert_same_map(resumed, map_2r)
    with pytest.raises(kinejac.KinejacError, match=r"holds chunks of another job.*seed"):
        _map_2r(checkpoint=tmp_path, seed=1)


# -- files, pictures, errors ------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path, panda_map, panda):
    path = panda_map.save(tmp_path / "panda_map")
    assert path.suffix == ".npz"
    back = kinejac.ReachabilityMap.load(path)
    assert_same_map(back, panda_map)
    np.testing.assert_array_equal(back.orientations, panda_map.orientations)
    assert (back.robot, back.frame, back.resolution, back.seed) == ("panda", "panda_hand_tcp", 0.25, 0)
    assert back.source.key == panda[0].source.key
    q = panda[0].random_configuration(0)
    T_back = kinejac.pose(back.load_robot(), q, "panda_hand_tcp")
    np.testing.assert_array_equal(T_back, kinejac.pose(panda[0], q, "panda_hand_tcp"))
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(kinejac.KinejacError, match="not a kinejac reachability map"):
        kinejac.ReachabilityMap.load(tmp_path / "other.npz")


def test_plot_png(tmp_path, map_2r):
    pytest.importorskip("matplotlib")
    from PIL import Image

    path = map_2r.plot_png(tmp_path / "m.png", slice=("z", 0.0))
    with Image.open(path) as im:
        assert im.size[0] > 400
    with pytest.raises(kinejac.InvalidChoiceError):
        map_2r.plot_png(tmp_path / "m.png", slice=("w", 0.0))


@pytest.mark.parametrize(
    "kw, error, match",
    [
        ({"resolution": 0}, kinejac.InvalidValueError, "resolution must be a number > 0"),
        ({"resolution": -0.1}, kinejac.InvalidValueError, "resolution"),
        ({"orientations": 0}, kinejac.InvalidValueError, "orientations must be >= 1"),
        ({"orientations": "all"}, kinejac.InvalidChoiceError, "position"),
        ({"orientations": np.ones((2, 3, 3))}, kinejac.InvalidValueError, "not a rotation"),
        ({"bounds": [[0, 0, 0], [-1, 1, 1]]}, kinejac.InvalidValueError, "bounds are empty: upper < lower along x"),
        ({"bounds": [0, 0, 0]}, kinejac.ShapeError, "bounds"),
        ({"bounds": [[0, 0, np.nan], [1, 1, 1]]}, kinejac.InvalidValueError, "finite"),
        ({"self_collision": True}, kinejac.KinejacError, "runs in this process: pass workers=1"),
        ({"obstacles": [object()], "workers": 1}, kinejac.KinejacError, "not an obstacle"),
        ({"ik_options": {"max_restarts": 3}}, kinejac.InvalidValueError, "restarts=N"),
        ({"restarts": -1}, kinejac.InvalidValueError, "restarts"),
        ({"ik_options": {"max_iterations": 0}}, kinejac.InvalidValueError, "max_iterations"),
        ({"client": 3}, kinejac.InvalidValueError, "client must be"),
        ({"client": "tcp://127.0.0.1:9", "workers": 2}, kinejac.InvalidValueError, "either client"),
    ],
)
def test_bad_input(kw, error, match):
    robot, frame = get_robot("planar_2r")
    with pytest.raises(error, match=match):
        kinejac.reachability(robot, frame, **{"orientations": "position", "resolution": 0.5, **kw})


def test_unreachable_scheduler_is_a_clear_error():
    robot, frame = get_robot("planar_2r")
    with pytest.raises(kinejac.ClusterError, match=r"cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        kinejac.reachability(robot, frame, orientations="position", resolution=0.5, client="tcp://127.0.0.1:9")


def test_robot_without_urdf_runs_here_but_cannot_travel():
    robot = kinejac.Robot(kinejac.load("planar_2r").model, name="bare")
    assert robot.source is None
    m = kinejac.reachability(robot, "tool", resolution=0.2, orientations="position", bounds=PLANE, chunk=8)
    assert m.complete and m.source is None and m.query([1.0, 0.0, 0.0]) == 1.0
    with pytest.raises(kinejac.KinejacError, match="cannot travel to other processes"):
        kinejac.reachability(robot, "tool", resolution=0.2, orientations="position", bounds=PLANE, workers=2)


def test_unbounded_reach_needs_bounds():
    robot, frame = get_robot("test_floating")
    with pytest.raises(kinejac.InvalidValueError, match=r"unbounded.*pass bounds"):
        kinejac.reachability(robot, frame, orientations="position")


def test_inverse_of_an_orientation_map_looks_up_the_right_entries(panda_map):
    m = panda_map
    v = int(np.flatnonzero((m.index > 0) & (m.index < 1))[0])
    hit, miss = np.flatnonzero(m.reached[v])[0], np.flatnonzero(~m.reached[v])[0]
    t = np.array([3.0, -2.0, m.centres[v, 2]])  # base on the floor z = 0 at t - centre: the map's entry v
    for orientation, expected in ((hit, True), (miss, False)):
        T_world_target = np.eye(4)
        T_world_target[:3, :3], T_world_target[:3, 3] = m.orientations[orientation], t
        inv = m.inverse(T_world_target, z=0.0, yaws=4)
        base = np.array([*(t[:2] - m.centres[v, :2]), 0.0])
        k = int(np.argmin(np.linalg.norm(inv.positions - base, axis=1)))
        np.testing.assert_allclose(inv.positions[k], base, atol=1e-12)  # on the grid of candidates
        assert inv.reached[k, 0] == expected  # heading 0: T_base_target is exactly (centre v, orientation)
    with pytest.raises(kinejac.ShapeError, match="give the target as a pose"):
        m.inverse(t)


def test_cli_on_a_dask_scheduler_address(capsys, dask_client, tmp_path, map_2r):
    from kinejac.cli import main

    argv = ["reachability", "planar_2r", "--frame", "tool", "--resolution", "0.1", "--orientations", "position",
            "--bounds", "-2", "-2", "0", "2", "2", "0", "--part", "translation", "--out", str(tmp_path / "m.npz"),
            "--scheduler", dask_client.scheduler.address, "--chunk", "64", "--json"]  # fmt: skip
    assert main(argv) == 0
    assert_same_map(kinejac.ReachabilityMap.load(tmp_path / "m.npz"), map_2r)


def test_progress_bar_on_stderr_when_asked(capsys):
    _map_2r(resolution=0.4, chunk=8, progress=True)
    err = capsys.readouterr().err
    assert "reachability [" in err and "100.0%" in err
    _map_2r(resolution=0.4, chunk=8)  # default: only on a terminal, and pytest's stderr is not one
    assert capsys.readouterr().err == ""


def test_collision_aware_map_leaves_out_voxels_only_reached_in_collision(map_2r):
    ball = kinejac.Sphere(0.25, [1.2, 0.0, 0.0], name="ball")
    m = _map_2r(obstacles=[ball])
    robot, _ = get_robot("planar_2r")
    inside = np.linalg.norm(m.centres - ball.center, axis=1) < ball.radius
    assert inside.sum() >= 10 and (map_2r.index[inside] > 0).all()
    assert (m.index[inside] == 0).all()  # the tool would have to be inside the ball
    far = m.centres[:, 0] < -0.5  # the other side of the base: as without the ball
    np.testing.assert_array_equal(m.index[far], map_2r.index[far])
    reached = m.index > 0
    assert not kinejac.in_collision(robot, m.configurations[reached], [ball], self_collision=False).any()


# -- the reach bounds: sound for every robot, exact where a closed form exists -------------------------
@pytest.mark.parametrize(
    "case, frame",
    [("planar_2r", "tool"), ("planar_3r", "tool"), ("ur5", "tool0"), ("panda_arm", "panda_hand_tcp"),
     ("test_left", "left_tool"), ("test_left", "right_tool")],  # continuous, prismatic and revolute joints
)  # fmt: skip
def test_reach_bounds_hold_for_sampled_configurations(case, frame):
    robot = get_robot(case)[0]
    centre, r_joint, r_frame = grid._chain_reach(robot, frame)
    assert np.isfinite(r_frame) and r_joint <= r_frame
    Q = robot.random_configuration(np.random.default_rng(0), size=3000)
    T = kinejac.pose(robot, Q, frame)
    d_frame = np.linalg.norm(T[:, :3, 3] - centre, axis=1)
    joint = robot.model.frames[robot.frame_id(frame)].parentJoint
    data = robot.model.createData()
    d_joint = []
    for q in Q:
        pin.forwardKinematics(robot.model, data, q)
        d_joint.append(np.linalg.norm(data.oMi[joint].translation - centre))
    assert d_frame.max() <= r_frame + 1e-12 and max(d_joint) <= r_joint + 1e-12
    if not case.startswith("test_"):  # revolute arms: close to tight (not so the plain sum of offsets: Panda 1.09 m)
        assert d_frame.max() > 0.95 * r_frame
    # every pose a configuration reaches passes the orientation bound (only the diagonal is such a pose)
    allowed = grid.orientation_bound(robot, frame, T[:1000, :3, 3], T[:1000, :3, :3])
    assert np.diagonal(allowed).all()
    assert grid.reach_sphere(robot, frame)[1] == r_frame


def test_reach_radius_closed_forms():
    for case, expected in (("planar_2r", L1 + L2), ("planar_3r", 2.3)):
        robot, frame = get_robot(case)
        assert grid.reach_sphere(robot, frame)[1] == pytest.approx(expected, abs=1e-12)
    robot, frame = get_robot("test_floating")
    assert grid.reach_sphere(robot, frame)[1] == np.inf
    P, R = np.zeros((2, 3)), kinejac.so3_grid(3)
    assert grid.orientation_bound(robot, frame, P, R).all()  # unbounded: nothing ruled out


def test_largest_span_through_a_revolute_joint_is_exact():
    rng = np.random.default_rng(3)
    q = np.linspace(-np.pi, np.pi, 200001)
    for lo, hi in ((-np.pi, np.pi), (-0.3, 0.4), (1.0, 2.5), (-3.0, -0.07), (-np.inf, np.inf)):
        for _ in range(5):
            a, b, u = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
            u /= np.linalg.norm(u)
            inside = np.r_[lo, q[(q >= lo) & (q <= hi)], hi] if np.isfinite(lo) else q  # the limits too
            rotated = Rotation.from_rotvec(inside[:, None] * u).apply(b)
            sampled = np.linalg.norm(a + rotated, axis=1).max()
            exact = grid._through(a, b, u, lo, hi)
            assert sampled - 1e-12 <= exact <= sampled + 1e-6


# -- the speed/accuracy knob -----------------------------------------------------------------------------
def test_map_agrees_with_ten_restarts_from_the_middle(panda):
    """The default map (continuation, ``restarts=2``, repair) against the former construction: every
    target of a chunk in one batch from the middle of the limits, 10 restarts, failures polished."""
    robot, frame = panda
    kw = {"resolution": 0.05, "orientations": 8, "bounds": [[0.2, -0.3, 0.4], [0.8, 0.3, 0.4]], "chunk": 64}
    m = kinejac.reachability(robot, frame, workers=1, **kw)
    assert m.ik_options["max_restarts"] == rm.RESTARTS == 2 and m.ik_options["polish"] is False
    plan = rm._plan(robot, frame, client=None, workers=1, self_collision=False, obstacles=(), seed=0, restarts=2,
                    measure="yoshikawa", part="full", length_scale=1.0, ik_options=None, **kw)  # fmt: skip
    solver = kinejac.IKSolver(robot, frame, max_restarts=10, timeout=None)
    rows = []
    for i in range(plan.n_chunks):
        P = plan.payload["candidates"][i * 64 : (i + 1) * 64]
        T = np.tile(np.eye(4), (len(P), len(m.orientations), 1, 1))
        T[:, :, :3, :3], T[:, :, :3, 3] = m.orientations, P[:, None]
        res = solver.solve_batch(T.reshape(-1, 4, 4), seed=chunk_seed(0, i), threads=1)
        rows.append(res.success.reshape(len(P), -1))
    former = np.concatenate(rows)
    new = m.reached[plan.cand_idx]
    assert len(new) == 169 and 0.5 < former.mean() < 0.95
    # two former maps with different seeds agree on 98.9 % of the entries here, mean |index difference| 0.010
    assert np.mean(new == former) >= 0.96
    assert np.abs(new.mean(axis=1) - former.mean(axis=1)).mean() <= 0.03
    # the former construction solved what the bound rules out, and never reached any of it
    ruled_out = ~grid.orientation_bound(robot, frame, plan.payload["candidates"], m.orientations)
    assert ruled_out.sum() > 20 and not former[ruled_out].any()


def test_polish_option_of_the_solver(panda):
    robot, frame = panda
    far = np.eye(4)
    far[:3, 3] = [0.3, 0.0, 1.5]  # out of reach
    polished = kinejac.IKSolver(robot, frame, max_restarts=1, timeout=None).solve(far, seed=0)
    plain = kinejac.IKSolver(robot, frame, max_restarts=1, timeout=None, polish=False).solve(far, seed=0)
    assert not polished.success and not plain.success
    assert plain.iterations < polished.iterations  # the patient local solve ran only when asked
    assert polished.position_error <= plain.position_error + 1e-12  # and it is what gets closest
    with pytest.raises(kinejac.InvalidValueError, match="polish must be True or False"):
        kinejac.IKSolver(robot, frame, polish="yes")
