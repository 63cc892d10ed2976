"""Collision-aware IK benchmark -> the ``collisions`` section of BENCHMARKS.md.

Robot: example-robot-data's Panda (collision meshes, its SRDF's disabled pairs, fingers locked).
Scenes (:data:`SCENES`), each with its own targets:

- ``table``: a table 1 mm under the base and a shelf of boxes in front (the older scene); targets:
  the tool poses of configurations drawn uniformly within the limits that are collision-free;
- ``shelf``: a shelf of 2 x 3 compartments (boards above and below the hand, side walls, a divider,
  a back wall) on a floor 2 cm under the base; targets: tool poses at least 16 cm deep inside a
  compartment;
- ``box``: a box on the floor whose lid is open only in an 18 cm square hole; targets: tool poses
  inside the box, at least 10 cm under the lid.
In the cluttered scenes a target is the tool pose of a configuration with the tool inside the
region that an independent check (:class:`IndependentCheck`: pinocchio + coal, no kinejac.collision
code) finds at least 1 cm from everything; such configurations are drawn by a Metropolis random
walk whose stationary distribution is uniform over them (a seeded uniform draw finds the first ones,
then each step moves every joint by a normal step of 0.15 rad and is kept when it stays in the set;
every 5th is a target), since uniform draws land there too rarely.

Success = position error <= 1e-5 m AND rotation error <= 1e-5 rad AND within the limits, by
pinocchio forward kinematics on a fresh ``Data``, AND collision-free by the independent check.
Every solve starts from the middle of the limits.

Rows, per scene, same targets, same run:
- kinejac ``solve_ik`` without collision handling, and how many of its answers collide;
- the rejection loop (:func:`rejection_solve`): plain IK, the exact check, a new random start until
  free (at most ``--attempts`` solves or ``--budget`` seconds), with pinocchio + coal as the check
  (what a user writes) and with kinejac's ``CollisionChecker``;
- kinejac collision-aware IK: ``IKSolver(robot, FRAME, obstacles=scene, self_collision=True)``,
  timeout ``--budget``;
- batched collision-free IK: ``solve_ik_batch(..., obstacles=scene, self_collision=True)`` on every
  core, solves per second;
- the exact check of one configuration: ``CollisionChecker.in_collision`` against pinocchio + coal on
  the same meshes, and against the checker's coal-only path (the check before the native world), on
  the plain IK answers and on random configurations, with the number of disagreements.
The issue's goals are reported under each scene's table, met or not, with the measured figures.

Run: ``python scripts/bench_collisions.py`` (full) or ``--targets 100`` (quick); ``--write`` writes
the section of BENCHMARKS.md (otherwise it only prints).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass

import coal
import numpy as np
import pinocchio as pin
from _bench import best, paired, write_section

import kinejac
from kinejac.collision import Box, CollisionChecker
from kinejac.ik import IKSolver

TOL = 1e-5  # [m] and [rad]
FRAME = "panda_hand_tcp"
LOCKED = ["panda_finger_joint1"]
MARGIN_TARGET = 0.01  # [m] the cluttered scenes' targets are this far from everything
WALKERS, WALK_STEP, THIN = 16, 0.15, 5  # the random walk drawing them: walkers, step [rad], every THIN-th step
ATTEMPTS = 50  # the rejection loop's solves per target, at most


def _T(xyz) -> np.ndarray:
    T = np.eye(4)
    T[:3, 3] = xyz
    return T


def scene() -> list[Box]:
    """A table (top 1 mm below the robot's base) and a shelf of boxes in front of the robot:
    two sides, a back, a bottom, a middle and a top board; the opening faces the robot (-x)."""
    x, depth, width, height = 0.82, 0.30, 0.80, 0.90
    t = 0.02  # board thickness [m]
    return [
        Box([1.6, 1.6, 0.04], _T([0.2, 0.0, -0.021]), name="table"),
        Box([depth, t, height], _T([x, width / 2, height / 2]), name="shelf_left"),
        Box([depth, t, height], _T([x, -width / 2, height / 2]), name="shelf_right"),
        Box([t, width, height], _T([x + depth / 2, 0.0, height / 2]), name="shelf_back"),
        Box([depth, width, t], _T([x, 0.0, 0.25]), name="shelf_low"),
        Box([depth, width, t], _T([x, 0.0, 0.55]), name="shelf_middle"),
        Box([depth, width, t], _T([x, 0.0, height]), name="shelf_top"),
    ]


Region = tuple[np.ndarray, np.ndarray]  # (lower corner, upper corner) of the tool's position [m]


def shelf_scene() -> tuple[list[Box], Region]:
    """A shelf of 2 columns x 3 rows of compartments 33 cm wide, 26 cm high and 34 cm deep, open
    towards the robot, on a floor 2 cm under the base; the region: at least 16 cm deep inside."""
    x0, depth, width, t, gap = 0.42, 0.34, 0.66, 0.02, 0.28
    xc = x0 + depth / 2
    boards = [0.12 + i * gap for i in range(4)]
    height, zc = boards[-1] - boards[0], (boards[-1] + boards[0]) / 2
    out = [Box([1.6, 1.6, 0.04], _T([0.2, 0.0, -0.04]), name="floor")]
    out += [Box([depth, width, t], _T([xc, 0.0, z]), name=f"board_{i}") for i, z in enumerate(boards)]
    out += [
        Box([depth, t, height], _T([xc, y, zc]), name=name)
        for name, y in (("wall_right", -width / 2), ("divider", 0.0), ("wall_left", width / 2))
    ]
    out.append(Box([t, width, height], _T([x0 + depth, 0.0, zc]), name="back"))
    region = (
        np.array([x0 + 0.16, -width / 2 + 0.03, boards[0] + 0.03]),
        np.array([x0 + depth - 0.03, width / 2 - 0.03, boards[-1] - 0.03]),
    )
    return out, region


def box_scene() -> tuple[list[Box], Region]:
    """A box 32 x 36 x 30 cm on the floor (2 cm under the base) in front of the robot, closed but
    for an 18 cm square hole in its lid; the region: inside the box, at least 10 cm under the lid."""
    x0, x1, w, h, t, hole = 0.36, 0.68, 0.36, 0.30, 0.02, 0.18
    xc, zw, zt = (x0 + x1) / 2, h / 2 - 0.02, h - 0.02
    rim_x, rim_y = ((x1 - x0) - hole) / 2, (w - hole) / 2
    out = [
        Box([1.6, 1.6, 0.04], _T([0.2, 0.0, -0.04]), name="floor"),
        Box([x1 - x0, t, h], _T([xc, w / 2, zw]), name="wall_left"),
        Box([x1 - x0, t, h], _T([xc, -w / 2, zw]), name="wall_right"),
        Box([t, w, h], _T([x0, 0.0, zw]), name="wall_front"),
        Box([t, w, h], _T([x1, 0.0, zw]), name="wall_back"),
        Box([rim_x, w, t], _T([x0 + rim_x / 2, 0.0, zt]), name="lid_front"),
        Box([rim_x, w, t], _T([x1 - rim_x / 2, 0.0, zt]), name="lid_back"),
        Box([hole, rim_y, t], _T([xc, (hole + rim_y) / 2, zt]), name="lid_left"),
        Box([hole, rim_y, t], _T([xc, -(hole + rim_y) / 2, zt]), name="lid_right"),
    ]
    region = (np.array([x0 + 0.03, -w / 2 + 0.03, 0.0]), np.array([x1 - 0.03, w / 2 - 0.03, zt - 0.10]))
    return out, region


class IndependentCheck:
    """Pose and collision checks that share no code with kinejac.collision (pinocchio + coal only)."""

    def __init__(self, robot: kinejac.Robot, srdf: str, obstacles: list[Box]) -> None:
        self.model = robot.model
        self.data = robot.model.createData()
        self.fid = self.model.getFrameId(FRAME)
        self.lower, self.upper = robot.lower, robot.upper
        gm = pin.buildGeomFromUrdf(
            self.model, str(robot.urdf_path), pin.GeometryType.COLLISION, package_dirs=list(robot.package_dirs)
        )
        gm.addAllCollisionPairs()
        pin.removeCollisionPairs(self.model, gm, srdf)
        n_robot = gm.ngeoms
        for o in obstacles:
            g = pin.GeometryObject(o.name, 0, 0, pin.SE3(o.pose), coal.Box(*o.size))
            k = gm.addGeometryObject(g)
            for r in range(n_robot):
                gm.addCollisionPair(pin.CollisionPair(r, k))
        self.geom_model, self.geom_data = gm, pin.GeometryData(gm)

    def collides(self, q: np.ndarray) -> bool:
        return bool(pin.computeCollisions(self.model, self.data, self.geom_model, self.geom_data, q, True))

    def free_by(self, q: np.ndarray, margin: float) -> bool:
        """Collision-free with every checked pair at least ``margin`` [m] apart."""
        if self.collides(q):
            return False
        pin.computeDistances(self.model, self.data, self.geom_model, self.geom_data, q)
        return min(r.min_distance for r in self.geom_data.distanceResults) >= margin

    def pose_ok(self, q: np.ndarray, T: pin.SE3) -> bool:
        q = np.asarray(q, dtype=float)
        if q.shape != (self.model.nq,) or not np.isfinite(q).all():
            return False
        if (q < self.lower).any() or (q > self.upper).any():
            return False
        pin.framesForwardKinematics(self.model, self.data, q)
        M = self.data.oMf[self.fid]
        return bool(
            np.linalg.norm(M.translation - T.translation) <= TOL
            and np.linalg.norm(pin.log3(T.rotation.T @ M.rotation)) <= TOL
        )


@dataclass
class Row:
    name: str
    n: int
    success: float  # pose, limits and collision-free, by IndependentCheck
    marked_colliding: int  # answers the solver marked successful that collide
    colliding: int  # answers at the right pose that collide
    mean_ms: float
    p95_ms: float
    note: str = ""


def tool_poses(robot, Q: np.ndarray) -> np.ndarray:
    """``(B, 4, 4)`` poses of the tool frame at ``Q (B, nq)``."""
    T, _ = kinejac.core.frames(robot, np.ascontiguousarray(Q), robot.frame_id(FRAME), None, 0, False)
    return T


def make_targets(robot, checker: CollisionChecker, n: int, seed: int = 0) -> tuple[list[pin.SE3], int]:
    """``n`` collision-free configurations' tool poses (uniform draws), and how many were drawn."""
    rng = np.random.default_rng(seed)
    targets: list[pin.SE3] = []
    drawn = 0
    while len(targets) < n:
        Q = robot.random_configuration(rng, size=max(64, 2 * (n - len(targets))))
        drawn += len(Q)
        for T in tool_poses(robot, Q[~checker.in_collision(Q)][: n - len(targets)]):
            targets.append(pin.SE3(T))
    return targets, drawn


def region_targets(
    robot, checker: CollisionChecker, check: IndependentCheck, region: Region, n: int, seed: int = 0
) -> tuple[list[pin.SE3], int]:
    """``n`` tool poses of configurations with the tool in ``region`` and every pair at least
    ``MARGIN_TARGET`` apart by the independent check (see the module doc: a Metropolis random walk,
    uniform over that set), and how many configurations were tried."""
    rng = np.random.default_rng(seed)
    lo, hi = region

    def ok(Q: np.ndarray) -> np.ndarray:
        p = tool_poses(robot, Q)[:, :3, 3]
        good = np.all((p > lo) & (p < hi), axis=1)
        idx = np.flatnonzero(good)
        if len(idx):
            good[idx] = checker.free(Q[idx], MARGIN_TARGET)  # kinejac's check first, the independent one decides
            for i in np.flatnonzero(good):
                good[i] = check.free_by(Q[i], MARGIN_TARGET)
        return good

    walkers = np.zeros((0, robot.nq))
    tried = 0
    while len(walkers) < WALKERS:  # the starts: uniform draws that land in the set
        Q = robot.random_configuration(rng, size=200_000)
        tried += len(Q)
        walkers = np.vstack([walkers, Q[ok(Q)]])[:WALKERS]
    targets: list[pin.SE3] = []
    step = 0
    while len(targets) < n:
        proposal = robot.clip(walkers + rng.normal(0.0, WALK_STEP, walkers.shape))
        tried += len(proposal)
        keep = ok(proposal)
        walkers[keep] = proposal[keep]
        step += 1
        if step % THIN == 0:
            targets += [pin.SE3(T) for T in tool_poses(robot, walkers)]
    return targets[:n], tried


def _row(name, times, marked, pose_ok, collides, note="") -> Row:
    times = np.asarray(times)
    marked, pose_ok, collides = (np.asarray(a, dtype=bool) for a in (marked, pose_ok, collides))
    return Row(
        name,
        len(times),
        float(np.mean(pose_ok & ~collides)),
        int(np.sum(marked & collides)),
        int(np.sum(pose_ok & collides)),
        float(times.mean() * 1e3),
        float(np.percentile(times, 95) * 1e3),
        note,
    )


def plain_row(solver: IKSolver, targets, q0, check: IndependentCheck) -> Row:
    times, marked, pose_ok, collides = [], [], [], []
    for T in targets:
        t0 = time.perf_counter()
        res = solver.solve(T.homogeneous, q0=q0)
        times.append(time.perf_counter() - t0)
        marked.append(res.success)
        pose_ok.append(check.pose_ok(res.q, T))
        collides.append(check.collides(res.q))
    return _row(
        "kinejac `solve_ik`, no collision handling", times, marked, pose_ok, collides, "success flag ignores collisions"
    )


def rejection_solve(solver: IKSolver, collides, T: np.ndarray, q0: np.ndarray, rng, attempts: int, budget: float):
    """Plain IK + exact check + restart from a random configuration until the answer is free.

    ``collides(q) -> bool`` is the exact check. Returns ``(q, success)``: ``success`` when an answer
    at the target pose is collision-free by it; otherwise the last answer after ``attempts`` solves
    or ``budget`` [s]."""
    deadline = time.perf_counter() + budget
    start = q0
    for _ in range(attempts):
        res = solver.solve(T, q0=start)
        if res.success and not collides(res.q):
            return res.q, True
        if time.perf_counter() > deadline:
            break
        start = solver.robot.random_configuration(rng)
    return res.q, False


def rejection_row(name, solver, collides, targets, q0, check: IndependentCheck, attempts: int, budget: float) -> Row:
    times, marked, pose_ok, colliding = [], [], [], []
    for i, T in enumerate(targets):
        rng = np.random.default_rng(i)
        t0 = time.perf_counter()
        q, ok = rejection_solve(solver, collides, T.homogeneous, q0, rng, attempts, budget)
        times.append(time.perf_counter() - t0)
        marked.append(ok)
        pose_ok.append(check.pose_ok(q, T))
        colliding.append(check.collides(q))
    note = f"at most {attempts} solves or {budget * 1e3:.0f} ms per target"
    return _row(name, times, marked, pose_ok, colliding, note)


def aware_solver(robot, obstacles, budget: float) -> IKSolver:
    """kinejac's collision-aware IK with the tolerances of the other rows and ``budget`` [s] per solve."""
    return IKSolver(
        robot,
        FRAME,
        seed=0,
        position_tolerance=TOL,
        rotation_tolerance=TOL,
        timeout=budget,
        obstacles=obstacles,
        self_collision=True,
    )


def collision_aware_row(robot, targets, q0, obstacles, check: IndependentCheck, budget: float) -> Row:
    solver = aware_solver(robot, obstacles, budget)
    for T in targets[:20]:  # warm-up
        solver.solve(T.homogeneous, q0=q0)
    times, marked, Q = [], [], []
    for i, T in enumerate(targets):  # stream (0, i) per target, as the batch (and the rejection loop's starts)
        t0 = time.perf_counter()  # vary: one stream for every target would time that stream's luck
        res = solver.solve(T.homogeneous, q0=q0, seed=(0, i))
        times.append(time.perf_counter() - t0)
        marked.append(res.success)
        Q.append(res.q)
    return _row(
        "kinejac collision-aware `solve_ik`",
        times,
        marked,
        [check.pose_ok(q, T) for q, T in zip(Q, targets)],
        [check.collides(q) for q in Q],
        f"`obstacles=scene, self_collision=True`, timeout {budget * 1e3:.0f} ms, restart stream `(0, i)` per target",
    )


@dataclass
class Batch:
    n: int
    threads: int
    seconds: float
    success: float  # by the independent check
    marked_colliding: int


def batch_row(robot, targets, q0, obstacles, check: IndependentCheck, budget: float) -> Batch:
    """``IKSolver.solve_batch`` (what ``solve_ik_batch`` runs) with collision avoidance on every core,
    the solver built once (best of 3 runs)."""
    T = np.array([t.homogeneous for t in targets])
    threads = kinejac.core.default_threads()
    solver = aware_solver(robot, obstacles, budget)
    solver.solve_batch(T[:20], q0, threads=threads)  # warm-up
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        res = solver.solve_batch(T, q0, threads=threads)
        best = min(best, time.perf_counter() - t0)
    ok = [bool(s) and check.pose_ok(q, t) and not check.collides(q) for s, q, t in zip(res.success, res.q, targets)]
    marked = sum(bool(s) and check.collides(q) for s, q in zip(res.success, res.q))
    return Batch(len(T), threads, best, float(np.mean(ok)), int(marked))


@dataclass
class CheckTiming:
    n: int
    kinejac_us: float
    coal_us: float  # pinocchio + coal on the same meshes and pairs (the independent check)
    old_us: float  # the CollisionChecker's coal-only path (what it did before the native world)
    disagree: int  # configurations where kinejac and the independent check differ
    colliding: float  # fraction of the configurations in collision


def check_timing(robot, checker: CollisionChecker, check: IndependentCheck, Q: np.ndarray) -> CheckTiming:
    """The exact check of one configuration at a time, three ways, on the same ``Q (B, nq)``."""
    ours = [checker.in_collision(q) for q in Q]  # warm-up, and the answers
    theirs = [check.collides(q) for q in Q]

    def each(fn):
        return lambda: [fn(q) for q in Q]

    t_coal, t_ours = paired(each(check.collides), each(checker.in_collision), rounds=3)
    t_old = best(each(checker._any_coal), repeat=3)
    n = len(Q)
    return CheckTiming(
        n,
        t_ours / n * 1e6,
        t_coal / n * 1e6,
        t_old / n * 1e6,
        int(sum(a != b for a, b in zip(ours, theirs))),
        float(np.mean(theirs)),
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| solver | targets | success | marked successful but colliding | at the pose but colliding | mean [ms] "
        "| p95 [ms] | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.name} | {r.n} | {100 * r.success:.2f} % | {r.marked_colliding} | {r.colliding} "
            f"| {r.mean_ms:.3f} | {r.p95_ms:.3f} | {r.note} |"
        )
    return "\n".join(lines)


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def verdict(aware: Row, rejections: list[Row], plain: Row, batch: Batch, timing: CheckTiming, cluttered: bool) -> str:
    """The issue's goals for one scene, each met or not, with the measured figures."""
    plain_colliding = plain.colliding / max(plain.n, 1)
    lines = []
    if cluttered:
        lines.append(
            f"- Cluttered (a third or more of plain IK answers collide): {_met(plain_colliding >= 1 / 3)} "
            f"({100 * plain_colliding:.1f} % of the plain answers at the pose collide)."
        )
    lines.append(
        f"- Success >= 99.9 %: {_met(aware.success >= 0.999)} ({100 * aware.success:.2f} %); zero successful "
        f"answers in collision: {_met(aware.marked_colliding == 0)} ({aware.marked_colliding}); mean <= 0.25 ms: "
        f"{_met(aware.mean_ms <= 0.25)} ({aware.mean_ms:.3f} ms)."
    )
    for rej in rejections:
        ratio = rej.mean_ms / aware.mean_ms
        lines.append(
            f"- vs the {rej.name.split(', ', 1)[-1]}: **{ratio:.2f}x** faster on the mean "
            f"({aware.mean_ms:.3f} vs {rej.mean_ms:.3f} ms), success {100 * aware.success:.2f} % vs "
            f"{100 * rej.success:.2f} %: goal >= 3x {_met(ratio >= 3.0)}."
        )
    speed = timing.old_us / timing.kinejac_us
    lines.append(
        f"- Exact check of one configuration ({timing.n} configurations, {100 * timing.colliding:.0f} % in "
        f"collision): kinejac {timing.kinejac_us:.1f} us, its coal-only path {timing.old_us:.1f} us, pinocchio + "
        f"coal {timing.coal_us:.1f} us: **{speed:.1f}x** faster than the coal-only `CollisionChecker` "
        f"({timing.coal_us / timing.kinejac_us:.1f}x pinocchio + coal), {timing.disagree} disagreements: goal "
        f">= 5x with the same answers {_met(speed >= 5.0 and timing.disagree == 0)}."
    )
    rate = batch.n / batch.seconds
    lines.append(
        f"- Batched collision-free IK: {rate:,.0f} solves/s on {batch.threads} threads ({batch.n} targets, "
        f"success {100 * batch.success:.2f} %, {batch.marked_colliding} successful in collision): goal >= 20,000 "
        f"solves/s {_met(rate >= 20_000 and batch.marked_colliding == 0)}."
    )
    return "\n".join(lines)


SCENES = {"table": None, "shelf": shelf_scene, "box": box_scene}


def run_scene(name: str, robot, srdf: str, n: int, attempts: int, budget: float) -> str:
    if name == "table":
        obstacles, region = scene(), None
    else:
        obstacles, region = SCENES[name]()  # type: ignore[misc]
    checker = CollisionChecker(robot, obstacles)
    check = IndependentCheck(robot, srdf, obstacles)
    q0 = (robot.lower + robot.upper) / 2
    t0 = time.perf_counter()
    if region is None:
        targets, drawn = make_targets(robot, checker, n)
        how = f"{len(targets)} collision-free targets from {drawn} uniform draws"
    else:
        targets, drawn = region_targets(robot, checker, check, region, n)
        how = (
            f"{len(targets)} collision-free targets ({MARGIN_TARGET * 100:.0f} cm free, tool in the region) from "
            f"{drawn} configurations tried"
        )
    print(f"[{name}] {how} ({time.perf_counter() - t0:.1f} s)", flush=True)
    solver = IKSolver(robot, FRAME, seed=0, position_tolerance=TOL, rotation_tolerance=TOL)
    for T in targets[:20]:  # warm-up
        solver.solve(T.homogeneous, q0=q0)
    plain = plain_row(solver, targets, q0, check)
    rejections = [
        rejection_row(
            "rejection loop, pinocchio + coal check", solver, check.collides, targets, q0, check, attempts, budget
        ),
        rejection_row(
            "rejection loop, kinejac `CollisionChecker`",
            solver,
            lambda q: bool(checker.in_collision(q)),
            targets,
            q0,
            check,
            attempts,
            budget,
        ),
    ]
    aware = collision_aware_row(robot, targets, q0, obstacles, check, budget)
    batch = batch_row(robot, targets, q0, obstacles, check, budget)
    answers = np.array([solver.solve(T.homogeneous, q0=q0).q for T in targets[:500]])
    Q = np.vstack([answers, robot.random_configuration(np.random.default_rng(1), size=500)])
    timing = check_timing(robot, checker, check, Q)
    rows = [plain, *rejections, aware]
    body = "\n".join(
        [
            f"### Scene `{name}`: {len(obstacles)} boxes; {how}",
            "",
            table(rows),
            "",
            verdict(aware, rejections, plain, batch, timing, region is not None),
        ]
    )
    print(body, flush=True)
    return body


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=2000, help="targets per scene (default 2000)")
    ap.add_argument(
        "--attempts", type=int, default=ATTEMPTS, help=f"rejection loop: solves per target (default {ATTEMPTS})"
    )
    ap.add_argument(
        "--budget",
        type=float,
        default=0.05,
        help="seconds per target: the rejection loop's budget and the collision-aware timeout (default 0.05)",
    )
    ap.add_argument("--scenes", default=",".join(SCENES), help=f"comma-separated, of {', '.join(SCENES)}")
    ap.add_argument("--write", action="store_true", help="write the collisions section of BENCHMARKS.md")
    args = ap.parse_args(argv)
    if "erd:panda" not in kinejac.available_robots():
        print("example-robot-data is not installed: pip install 'kinejac[robots]'", file=sys.stderr)
        return 2
    names = [s.strip() for s in args.scenes.split(",") if s.strip()]
    unknown = [s for s in names if s not in SCENES]
    if unknown:
        ap.error(f"unknown scene(s) {unknown}; choose from {list(SCENES)}")
    from kinejac.urdf import erd_share

    share = erd_share()
    assert share is not None
    srdf = str(share / "example-robot-data/robots/panda_description/srdf/panda.srdf")
    # loaded by path: its package:// meshes are found walking up from the URDF
    urdf = share / "example-robot-data/robots/panda_description/urdf/panda.urdf"
    robot = kinejac.load(urdf, locked_joints=LOCKED, srdf=srdf)
    sections = [run_scene(name, robot, srdf, args.targets, args.attempts, args.budget) for name in names]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    body = "\n".join(
        [
            "## Collision-aware IK (`scripts/bench_collisions.py`)",
            "",
            "example-robot-data Panda (collision meshes, SRDF pairs, fingers locked), loaded from its URDF's path. "
            "Success: 1e-5 m / 1e-5 rad, within limits, collision-free by an independent pinocchio + coal check; "
            "every solve starts at the middle of the limits. Goals (issue 21), on each cluttered scene: success "
            ">= 99.9 % with zero successful answers in collision, mean <= 0.25 ms and >= 3x faster than the "
            "rejection loop; the exact check of one configuration >= 5x faster than the coal-only "
            "`CollisionChecker` with the same answers; batched collision-free IK >= 20,000 solves/s.",
            "",
            *[part + "\n" for part in sections],
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average {load:.2f} at the end; "
            f"Python {platform.python_version()}, pinocchio {pin.__version__}.",
        ]
    )
    if args.write:
        write_section("collisions", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
