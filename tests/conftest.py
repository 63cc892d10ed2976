"""Shared fixtures and an independent finite-difference oracle (pinocchio only, no kinejac code)."""

from __future__ import annotations

import os

import numpy as np
import pinocchio as pin
import pytest

import kinejac

# (spec, load kwargs, end-effector frame) for every bundled robot, plus moving bases
ROBOT_CASES = {
    "planar_2r": ("planar_2r", {}, "tool"),
    "planar_3r": ("planar_3r", {}, "tool"),
    "ur5": ("ur5", {}, "tool0"),
    "panda": ("panda", {}, "panda_hand_tcp"),
    "panda_finger": ("panda", {}, "panda_rightfinger"),
    "panda_arm": ("panda", {"locked_joints": ["panda_finger_joint1"]}, "panda_hand_tcp"),
    "test_left": ("kinejac_test_robot", {}, "left_tool"),
    "test_mimic": ("kinejac_test_robot", {}, "right_finger_link"),
    "test_floating": ("kinejac_test_robot", {"root_joint": "floating"}, "right_tool"),
    "test_planar": ("kinejac_test_robot", {"root_joint": "planar"}, "left_tool"),
}

_cache: dict[str, kinejac.Robot] = {}


@pytest.fixture(scope="session", autouse=True)
def _private_cache_folder(tmp_path_factory):
    """The command line caches generated disabled pairs (kinejac._cli.pairs_cache): in the tests, in a
    folder of their own (subprocesses inherit it), never the user's."""
    old = os.environ.get("KINEJAC_CACHE_DIR")
    os.environ["KINEJAC_CACHE_DIR"] = str(tmp_path_factory.mktemp("kinejac-cache"))
    yield
    if old is None:
        os.environ.pop("KINEJAC_CACHE_DIR", None)
    else:
        os.environ["KINEJAC_CACHE_DIR"] = old


def get_robot(case: str) -> tuple[kinejac.Robot, str]:
    spec, kwargs, frame = ROBOT_CASES[case]
    if case not in _cache:
        _cache[case] = kinejac.load(spec, **kwargs)
    return _cache[case], frame


@pytest.fixture(params=sorted(ROBOT_CASES))
def robot_case(request) -> tuple[kinejac.Robot, str]:
    """Every bundled robot with its end-effector frame (moving bases and mimic frames included)."""
    return get_robot(request.param)


def fd_pose_jacobian(model: pin.Model, q: np.ndarray, frame: str, ref: pin.ReferenceFrame, eps: float = 1e-6):
    """Central differences of the frame pose along each tangent direction (pin.integrate), (6, nv)."""
    data = model.createData()
    fid = model.getFrameId(frame)

    def T(qq):
        pin.framesForwardKinematics(model, data, qq)
        return data.oMf[fid].copy()

    T0 = T(q)
    J = np.empty((6, model.nv))
    for k in range(model.nv):
        e = np.zeros(model.nv)
        e[k] = eps
        Tp, Tm = T(pin.integrate(model, q, e)), T(pin.integrate(model, q, -e))
        # local body twist from the log map, then re-expressed
        nu = (pin.log6(T0.inverse() * Tp).vector - pin.log6(T0.inverse() * Tm).vector) / (2 * eps)
        if ref == pin.LOCAL:
            J[:, k] = nu
        elif ref == pin.WORLD:
            J[:, k] = T0.action @ nu
        else:
            J[:3, k] = (Tp.translation - Tm.translation) / (2 * eps)
            J[3:, k] = T0.rotation @ nu[3:]
    return J


def fd_along(f, model: pin.Model, q: np.ndarray, direction: np.ndarray, eps: float = 1e-6):
    """Central difference of ``f(q)`` along a tangent direction, stepping with pin.integrate."""
    return (f(pin.integrate(model, q, eps * direction)) - f(pin.integrate(model, q, -eps * direction))) / (2 * eps)


@pytest.fixture(scope="session")
def dask_client():
    """A real dask.distributed LocalCluster with two worker processes on 127.0.0.1 (dashboard off),
    shut down (workers reaped) at the end of the session."""
    distributed = pytest.importorskip("distributed", reason="the test extra installs dask[distributed]")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
