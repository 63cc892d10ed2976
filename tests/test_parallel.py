"""Chunked execution: the same results from one process, a local pool and a Dask cluster; robots
travel as URDF text; checkpoints refuse another job's chunks; workspace() on every executor."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time

import numpy as np
import pytest
from conftest import get_robot

import kinejac
from kinejac import parallel


def _square(payload, index):  # a chunk function (module level: pickled by reference)
    return {"x": np.arange(payload["size"]) + index * payload["size"], "sq": (np.arange(payload["size"]) + index) ** 2}


def test_run_chunks_same_results_in_process_and_in_a_pool(tmp_path):
    payload = {"size": 3}
    one = parallel.run_chunks(_square, payload, 7, workers=1)
    pool = parallel.run_chunks(_square, payload, 7, workers=2)
    assert one.complete and pool.complete and one.executor == "this process" and pool.executor == "2 local processes"
    for i in range(7):
        np.testing.assert_array_equal(one.results[i]["x"], np.arange(3) + 3 * i)
        for k in ("x", "sq"):
            np.testing.assert_array_equal(one.results[i][k], pool.results[i][k])
    ck = parallel.run_chunks(_square, payload, 7, workers=2, checkpoint=tmp_path, identity={"job": "squares"})
    again = parallel.run_chunks(_square, payload, 7, workers=1, checkpoint=tmp_path, identity={"job": "squares"})
    assert ck.resumed == 0 and again.resumed == 7
    np.testing.assert_array_equal(again.results[6]["sq"], one.results[6]["sq"])
    with pytest.raises(kinejac.KinejacError, match="holds chunks of another job"):
        parallel.run_chunks(_square, payload, 7, checkpoint=tmp_path, identity={"job": "cubes"})
    with pytest.raises(kinejac.KinejacError, match="number of chunks"):
        parallel.run_chunks(_square, payload, 8, checkpoint=tmp_path, identity={"job": "squares"})


def _slow(payload, index):
    time.sleep(payload["sleep"])
    return {"i": np.array([index])}


def test_ctrl_c_keeps_the_finished_chunks_of_a_pool(tmp_path):
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))  # Ctrl-C, to this process only
    timer.start()
    try:
        run = parallel.run_chunks(_slow, {"sleep": 0.25}, 40, workers=2, checkpoint=tmp_path, identity={"job": "slow"})
    finally:
        timer.cancel()
    assert not run.complete and 2 <= len(run.results) < 40
    assert all(run.results[i]["i"][0] == i for i in run.results)
    assert len(list(tmp_path.glob("chunk-*.npz"))) == len(run.results)  # every finished chunk was written


def test_run_chunks_errors_propagate_and_bad_arguments():
    with pytest.raises(TypeError):  # a chunk failing in a worker process fails the run
        parallel.run_chunks(_square, {"size": None}, 3, workers=2)
    with pytest.raises(kinejac.InvalidValueError, match="workers must be an integer > 0"):
        parallel.run_chunks(_square, {"size": 1}, 3, workers=0)
    with pytest.raises(kinejac.InvalidValueError, match="client must be"):
        parallel.run_chunks(_square, {"size": 1}, 3, client=object())


def test_robot_source_rebuilds_the_same_robot():
    robot = kinejac.load("panda", locked_joints={"panda_finger_joint1": 0.02})
    source = robot.source
    assert source.locked_joints == (("panda_finger_joint1", (0.02,)),)
    assert len(pickle.dumps(source)) < 2 * len(source.urdf)  # text, not pinocchio objects
    again = pickle.loads(pickle.dumps(source)).load()
    assert (again.name, again.nq, again.joint_names) == (robot.name, robot.nq, robot.joint_names)
    assert again.source.key == source.key and again.urdf_path is None
    Q = robot.random_configuration(0, size=5)
    np.testing.assert_array_equal(kinejac.pose(again, Q, "panda_hand_tcp"), kinejac.pose(robot, Q, "panda_hand_tcp"))
    floating = kinejac.load("kinejac_test_robot", root_joint="floating").source.load()
    assert floating.root_joint == "floating" and floating.nq == get_robot("test_floating")[0].nq
    assert parallel.worker_robot(source) is parallel.worker_robot(source)  # built once per thread


def _assert_same_workspace(a, b):
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.manipulability, b.manipulability)
    np.testing.assert_array_equal(a.configurations, b.configurations)


def test_workspace_same_samples_from_every_executor(dask_client):
    robot, frame = get_robot("ur5")
    kw = {"samples": 900, "rng": 4, "chunk": 200}
    here = kinejac.workspace(robot, frame, workers=1, **kw)
    _assert_same_workspace(kinejac.workspace(robot, frame, **kw), here)  # every core
    _assert_same_workspace(kinejac.workspace(robot, frame, client=dask_client, **kw), here)
    # the samples are those of one generator drawn chunk after chunk, measured independently
    rng = np.random.default_rng(4)
    Q = np.concatenate([robot.random_configuration(rng, size=n) for n in (200, 200, 200, 200, 100)])
    np.testing.assert_array_equal(here.configurations, Q)
    np.testing.assert_allclose(here.manipulability, kinejac.manipulability(robot, Q, frame), rtol=1e-12)


def test_dask_runs_many_chunks_as_fewer_tasks_with_the_same_results(dask_client, tmp_path):
    payload = {"size": 2}
    n = 5 * parallel.TASKS_PER_WORKER * sum(dask_client.nthreads().values()) + 3  # tasks of 5 chunks, and a rest
    done = []
    run = parallel.run_chunks(_square, payload, n, client=dask_client, checkpoint=tmp_path, identity={"job": "sq"})
    assert run.complete and sorted(run.results) == list(range(n)) and run.executor.startswith("dask")
    for i in range(n):
        np.testing.assert_array_equal(run.results[i]["x"], np.arange(2) + 2 * i)
        np.testing.assert_array_equal(run.results[i]["sq"], (np.arange(2) + i) ** 2)
        done.append((tmp_path / f"chunk-{i:06d}.npz").exists())
    assert all(done)  # every chunk of every task written as its own checkpoint
    some = parallel.run_chunks(_square, payload, n, client=dask_client, indices=[1, n - 1])
    assert sorted(some.results) == [1, n - 1] and some.results[n - 1]["sq"][0] == (n - 1) ** 2
