"""The command line: most paths in-process through ``main([...])``, a few through a subprocess.

Output values are checked against closed forms (planar 2R) and the library, JSON keys against the
schema documented in kinejac.cli, and user mistakes against exit status 2 with one stderr line.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kinejac
from kinejac import cli
from kinejac.cli import EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE, main, parse_q

L1, L2 = 1.0, 0.8  # planar_2r link lengths [m]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == EXIT_OK, err
    return json.loads(out)


def assert_usage_error(capsys, *argv: str, match: str) -> str:
    code, _, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("kinejac: error: ")
    assert match in lines[0]
    assert "Traceback" not in err
    return lines[0]


# -- parse_q -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def branchy():
    return kinejac.load("kinejac_test_robot")


def test_parse_q_plain_list_is_one_value_per_joint(branchy):
    values = [0.3, 0.1, 0.2, -0.4, 0.5, 2.5, -1.0]  # 7 joints, two of them continuous (nq = 9)
    q = parse_q(branchy, [str(v) for v in values])
    assert q.shape == (branchy.nq,)
    assert list(branchy.to_dict(q).values()) == pytest.approx(values)


def test_parse_q_separators_degrees_and_pairs(branchy):
    values = [0.3, 0.1, 0.2, -0.4, 0.5, 2.5, -1.0]
    q_list = parse_q(branchy, "[0.3, 0.1, 0.2, -0.4, 0.5, 2.5, -1.0]")
    assert list(branchy.to_dict(q_list).values()) == pytest.approx(values)
    q_deg = parse_q(branchy, ["torso_yaw=90", "torso_lift=0.1", "left_shoulder=-45"], degrees=True)
    named = branchy.to_dict(q_deg)
    assert named["torso_yaw"] == pytest.approx(math.pi / 2)
    assert named["torso_lift"] == pytest.approx(0.1)  # prismatic: metres, never converted
    assert named["left_shoulder"] == pytest.approx(-math.pi / 4)
    # pairs leave the other joints at neutral
    np.testing.assert_allclose(q_deg[4:], branchy.neutral()[4:])


def test_parse_q_floating_base_takes_raw_coordinates():
    robot = kinejac.load("planar_2r", root_joint="floating")
    q = parse_q(robot, "root_joint=1 2 3 0 0 0 1 joint1=0.5")
    np.testing.assert_allclose(q, [1, 2, 3, 0, 0, 0, 1, 0.5, 0])


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("1 2", kinejac.ShapeError, "takes 7 value(s)"),
        ("1 torso_yaw=2", kinejac.InvalidValueError, "not both"),
        ("torso_yaw=1 2", kinejac.ShapeError, "joint 'torso_yaw' takes 1 value(s), got 2"),
        ("torso_yw=1", kinejac.JointNotFound, "did you mean 'torso_yaw'"),
        ("torso_yaw=1 torso_yaw=2", kinejac.InvalidValueError, "given twice"),
        ("torso_yaw=abc", kinejac.InvalidValueError, "'abc' is not a number"),
        ("right_finger=0.1", kinejac.InvalidValueError, "mimic joint following 'right_wrist'"),
        ("torso_yaw=nan", kinejac.InvalidValueError, "not a finite number"),
        ("torso_lift=", kinejac.ShapeError, "takes 1 value(s), got 0"),
        ("", kinejac.ShapeError, "is empty"),
    ],
)
def test_parse_q_errors(branchy, text, error, match):
    with pytest.raises(error, match=match.replace("(", r"\(").replace(")", r"\)")):
        parse_q(branchy, text)


# -- robots, info ------------------------------------------------------------------------------------------
def test_robots_json(capsys):
    data = run_json(capsys, "robots")
    by_name = {r["name"]: r for r in data["bundled"]}
    assert set(by_name) == {"kinejac_test_robot", "panda", "planar_2r", "planar_3r", "ur5"}
    assert by_name["planar_2r"] == {"name": "planar_2r", "nq": 2, "nv": 2, "leaf_frames": ["tool"]}
    assert by_name["panda"]["nq"] == 8 and "panda_hand_tcp" in by_name["panda"]["leaf_frames"]
    assert by_name["kinejac_test_robot"]["leaf_frames"] == ["left_tool", "right_finger_link", "right_tool"]
    assert all(n.startswith("erd:") for n in data["example_robot_data"])
    assert data["example_robot_data"] == [n for n in kinejac.available_robots() if n.startswith("erd:")]


def test_robots_text(capsys):
    code, out, _ = run(capsys, "robots")
    assert code == EXIT_OK
    assert "planar_2r" in out and "leaf frames: tool" in out


def test_info_json_joints_limits_frames(capsys):
    data = run_json(capsys, "info", "kinejac_test_robot")
    assert (data["robot"], data["nq"], data["nv"]) == ("kinejac_test_robot", 9, 7)
    joints = {j["name"]: j for j in data["joints"]}
    assert set(data["joints"][0]) == {
        "name", "kind", "idx_q", "nq", "idx_v", "nv", "parent", "mimicked", "lower", "upper", "velocity_limit"
    }  # fmt: skip
    assert joints["torso_yaw"]["kind"] == "continuous"
    assert joints["torso_yaw"]["lower"] == [None, None]  # unbounded: null in JSON
    assert joints["torso_lift"]["lower"] == [0.0] and joints["torso_lift"]["upper"] == [pytest.approx(0.3)]
    assert joints["right_finger"]["kind"] == "mimic" and joints["right_finger"]["mimicked"] == "right_wrist"
    frames = {f["name"]: f for f in data["frames"]}
    assert frames["universe"]["parent"] is None
    assert frames["left_tool"]["parent"] == "left_tool_joint" and frames["left_tool_joint"]["type"] == "fixed"
    assert frames["right_elbow"]["type"] == "continuous"
    assert data["leaf_frames"] == ["left_tool", "right_finger_link", "right_tool"]


def test_info_text_tree_and_degrees(capsys):
    code, out, _ = run(capsys, "info", "planar_2r", "--degrees")
    assert code == EXIT_OK
    assert "nq = 2, nv = 2" in out
    tree = out.split("kinematic tree")[1]
    assert tree.index("joint1  [revolute]") < tree.index("link1") < tree.index("joint2") < tree.index("tool")
    row = next(line for line in out.splitlines() if line.strip().startswith("joint1"))
    lower = float(row.split()[3])
    assert lower == pytest.approx(math.degrees(kinejac.load("planar_2r").lower[0]), abs=1e-3)


def test_info_locked_joints(capsys):
    data = run_json(capsys, "info", "panda", "--lock", "panda_finger_joint1")
    assert data["nq"] == 7 and all(j["kind"] == "revolute" for j in data["joints"])


# -- fk, jacobian ------------------------------------------------------------------------------------------
def test_fk_planar_2r_closed_form(capsys):
    q1, q2 = 0.3, 0.5
    data = run_json(capsys, "fk", "planar_2r", "--q", str(q1), str(q2), "--frame", "tool")
    assert set(data) == {"robot", "q", "joints", "frames"}
    tool = data["frames"]["tool"]
    assert set(tool) == {"T_world_frame", "xyz", "rpy", "quat_xyzw"}
    x, y = L1 * math.cos(q1) + L2 * math.cos(q1 + q2), L1 * math.sin(q1) + L2 * math.sin(q1 + q2)
    assert tool["xyz"][:2] == pytest.approx([x, y], abs=1e-12)
    assert tool["rpy"] == pytest.approx([0, 0, q1 + q2], abs=1e-12)
    half = (q1 + q2) / 2
    assert tool["quat_xyzw"] == pytest.approx([0, 0, math.sin(half), math.cos(half)], abs=1e-12)
    np.testing.assert_allclose(tool["T_world_frame"], kinejac.pose(kinejac.load("planar_2r"), [q1, q2], "tool"))
    assert data["joints"] == {"joint1": q1, "joint2": q2}


def test_fk_degrees_pairs_and_default_frames(capsys):
    data = run_json(capsys, "fk", "planar_2r", "--degrees", "--q", "joint2=90")
    assert list(data["frames"]) == ["tool"]  # leaf frames by default
    assert data["frames"]["tool"]["xyz"][:2] == pytest.approx([L1, L2], abs=1e-12)
    assert data["joints"]["joint2"] == pytest.approx(math.pi / 2)  # JSON stays in radians


def test_fk_text_output(capsys):
    code, out, _ = run(capsys, "fk", "planar_2r", "--q", "0", "90", "--degrees")
    assert code == EXIT_OK
    xyz = next(line for line in out.splitlines() if "xyz [m]" in line).split()[-3:]
    assert [float(v) for v in xyz] == pytest.approx([L1, L2, 0], abs=1e-6)
    rpy = next(line for line in out.splitlines() if "rpy [deg]" in line).split()[-3:]
    assert [float(v) for v in rpy] == pytest.approx([0, 0, 90], abs=1e-6)


def test_fk_warns_outside_limits(capsys):
    code, _, err = run(capsys, "fk", "panda", "--lock", "panda_finger_joint1", "--frame", "panda_hand_tcp")
    assert code == EXIT_OK
    assert "warning: --q not given: using the neutral configuration, which is outside" in err


def test_jacobian_planar_2r_closed_form(capsys):
    q1, q2 = 0.3, 0.5
    data = run_json(capsys, "jacobian", "planar_2r", "--q", str(q1), str(q2), "--frame", "tool")
    assert set(data) == {"robot", "q", "joints", "frame", "reference", "rows", "columns", "J"}
    assert data["rows"] == ["vx", "vy", "vz", "wx", "wy", "wz"] and data["columns"] == ["joint1", "joint2"]
    s1, c1, s12, c12 = math.sin(q1), math.cos(q1), math.sin(q1 + q2), math.cos(q1 + q2)
    expected = [
        [-L1 * s1 - L2 * s12, -L2 * s12],
        [L1 * c1 + L2 * c12, L2 * c12],
        [0, 0], [0, 0], [0, 0],
        [1, 1],
    ]  # fmt: skip
    np.testing.assert_allclose(data["J"], expected, atol=1e-12)


def test_jacobian_reference_and_tangent_columns(capsys, branchy):
    data = run_json(
        capsys, "jacobian", "kinejac_test_robot", "--q", "0.3 0.1 0.2 -0.4 0.5 2.5 -1.0", "--frame", "right_tool",
        "--reference", "local",
    )  # fmt: skip
    assert data["reference"] == "local" and data["columns"] == list(branchy.joint_names)
    q = parse_q(branchy, "0.3 0.1 0.2 -0.4 0.5 2.5 -1.0")
    np.testing.assert_allclose(data["J"], kinejac.jacobian(branchy, q, "right_tool", "local"), atol=1e-12)


def test_jacobian_text_output(capsys):
    code, out, _ = run(capsys, "jacobian", "planar_2r", "--q", "0", "0", "--frame", "tool")
    assert code == EXIT_OK
    vy = next(line for line in out.splitlines() if line.strip().startswith("vy")).split()[1:]
    assert [float(v) for v in vy] == pytest.approx([L1 + L2, L2])


_NEGATIVE_ZERO = re.compile(r"(?<![\w.])-0(\.0*)?(?![\d.]*[1-9])(?=\s|$)")


@pytest.mark.parametrize(
    "argv",
    [
        ["jacobian", "ur5", "--q", "0", "-1.2", "1.5", "0", "1.57", "0", "--frame", "tool0"],  # the README's
        ["jacobian", "ur5", "--q", "0", "-1.2", "1.5", "0", "1.57", "0", "--frame", "tool0", "--reference", "local"],
        ["jacobian", "panda", "--q", "0", "0", "0", "-1", "0", "1", "0", "0", "--frame", "panda_hand_tcp"],
        ["fk", "planar_2r", "--q", "joint1=-1e-9"],
        ["fk", "ur5", "--q", "0", "-1.2", "1.5", "0", "1.57", "0", "--q", "wrist_3_joint=-1e-12", "--degrees"],
        ["manip", "ur5", "--q", "0", "-1.2", "1.5", "0", "1.57", "0", "--frame", "tool0"],
    ],
)
def test_text_output_never_prints_negative_zero(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == EXIT_OK
    assert not _NEGATIVE_ZERO.search(out), [line for line in out.splitlines() if _NEGATIVE_ZERO.search(line)]
    assert cli._fmt_vec([-1e-12, -1e-3, 0.0, -0.0], "9.5f") == "  0.00000  -0.00100   0.00000   0.00000"


# -- user mistakes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["info", "pandaa"], "robot 'pandaa' not found"),
        (["fk", "panda", "--frame", "panda_hnd"], "did you mean 'panda_hand'"),
        (["fk", "planar_2r", "--q", "1", "x"], "'x' is not a number"),
        (["fk", "planar_2r", "--q", "1"], "takes 2 value(s)"),
        (["jacobian", "planar_2r", "--q", "0", "0"], "required: --frame"),
        (["jacobian", "planar_2r", "--frame", "tool", "--reference", "body"], "invalid choice: 'body'"),
        (["info", "/nonexistent/robot.urdf"], "does not exist"),
        (["info", "panda", "--lock", "nojoint"], "joint 'nojoint' not found"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys, argv, match):
    assert_usage_error(capsys, *argv, match=match)


def test_json_error_object(capsys):
    code, out, err = run(capsys, "fk", "planar_2r", "--frame", "nope", "--json")
    assert code == EXIT_USAGE
    assert json.loads(out) == {"error": {"type": "FrameNotFound", "message": err.strip()[len("kinejac: error: ") :]}}


def test_no_command_and_help(capsys):
    assert main([]) == EXIT_USAGE
    assert main(["--version"]) == EXIT_OK
    assert kinejac.__version__ in capsys.readouterr().out
    assert main(["fk", "--help"]) == EXIT_OK
    assert "--q" in capsys.readouterr().out


# -- doctor --------------------------------------------------------------------------------------------------
@pytest.fixture
def pitfall_urdf(tmp_path):
    """A loadable URDF with every pitfall doctor reports (and one mesh that does resolve)."""
    # the package sits where walking up from the URDF does not find it (tmp/pkgs/mypkg; tmp/robots/x.urdf)
    (tmp_path / "pkgs" / "mypkg" / "meshes").mkdir(parents=True)
    (tmp_path / "pkgs" / "mypkg" / "meshes" / "base.stl").write_text("solid empty\nendsolid empty\n")
    path = tmp_path / "robots" / "pitfalls.urdf"
    path.parent.mkdir()
    path.write_text(
        textwrap.dedent(
            """\
            <robot name="pitfalls">
              <link name="base"><visual><geometry><mesh filename="package://mypkg/meshes/base.stl"/></geometry></visual>
                <inertial><mass value="1"/><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial></link>
              <link name="arm"><visual><geometry><mesh filename="meshes/missing.stl"/></geometry></visual></link>
              <link name="tip"/>
              <link name="finger"/>
              <joint name="arm" type="revolute"><parent link="base"/><child link="arm"/><axis xyz="0 0 1"/>
                <limit lower="-1" upper="1" effort="1" velocity="1"/></joint>
              <joint name="wheel" type="continuous"><parent link="arm"/><child link="tip"/><origin xyz="0.5 0 0"/>
                <axis xyz="0 0 1"/><limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
              <joint name="finger_joint" type="revolute"><parent link="tip"/><child link="finger"/>
                <origin xyz="0.1 0 0"/><axis xyz="0 1 0"/><limit lower="-1" upper="1" effort="1" velocity="1"/>
                <mimic joint="arm" multiplier="0.5" offset="0"/></joint>
            </robot>
            """
        )
    )
    return path


def test_doctor_reports_pitfalls(capsys, pitfall_urdf):
    package_dir = str(pitfall_urdf.parent.parent / "pkgs")
    code, out, err = run(capsys, "doctor", str(pitfall_urdf), "--package-dir", package_dir, "--json")
    assert code == EXIT_OK, err
    assert set(json.loads(out)) == {"robot", "urdf", "nq", "nv", "findings", "derivative_check", "ok", "ik_structure"}
    data = json.loads(out)
    codes = {(f["code"], f["subject"]) for f in data["findings"]}
    assert ("continuous_limits", "wheel") in codes
    assert ("mimic", "finger_joint") in codes
    assert ("unresolved_mesh", "meshes/missing.stl") in codes
    assert ("duplicate_frame", "arm") in codes
    assert ("no_inertia", "arm, tip, finger") in codes
    # the package:// mesh resolves through --package-dir, so it is not reported
    assert not any(f["subject"].startswith("package://") for f in data["findings"])
    check = data["derivative_check"]
    assert set(check["frames"]) == {"finger"} and check["worst_frame"] == "finger"
    assert 0 <= check["worst_error"] < 1e-6 and check["ok"] and data["ok"]


def test_doctor_unsupported_mesh_format(capsys, tmp_path):
    (tmp_path / "part.ply").write_text("ply\n")
    path = tmp_path / "ply.urdf"
    path.write_text('<robot name="p"><link name="a"><visual><geometry><mesh filename="part.ply"/></geometry></visual>'
                    '</link><link name="b"/><joint name="j" type="revolute"><parent link="a"/><child link="b"/>'
                    '<limit lower="-1" upper="1" effort="1" velocity="1"/></joint></robot>')  # fmt: skip
    data = json.loads(run(capsys, "doctor", str(path), "--json")[1])
    assert ("unsupported_mesh", "part.ply") in {(f["code"], f["subject"]) for f in data["findings"]}


def test_doctor_unresolved_package_mesh_without_package_dir(capsys, pitfall_urdf, monkeypatch):
    monkeypatch.delenv("ROS_PACKAGE_PATH", raising=False)
    monkeypatch.delenv("AMENT_PREFIX_PATH", raising=False)
    data = json.loads(run(capsys, "doctor", str(pitfall_urdf), "--json")[1])
    found = {(f["code"], f["subject"]) for f in data["findings"]}
    assert ("unresolved_mesh", "package://mypkg/meshes/base.stl") in found
    # beside the URDF's folder, as in a workspace, walking up from the URDF finds it
    (pitfall_urdf.parent.parent / "pkgs" / "mypkg").rename(pitfall_urdf.parent.parent / "mypkg")
    data = json.loads(run(capsys, "doctor", str(pitfall_urdf), "--json")[1])
    found = {(f["code"], f["subject"]) for f in data["findings"]}
    assert ("unresolved_mesh", "package://mypkg/meshes/base.stl") not in found


def test_doctor_text_on_bundled_robot(capsys):
    code, out, _ = run(capsys, "doctor", "panda", "--samples", "1")
    assert code == EXIT_OK
    assert "mimics 'panda_finger_joint1'" in out
    assert "neutral configuration (all zeros) is outside the joint limits: panda_joint4" in out
    worst = next(line for line in out.splitlines() if "worst error" in line)
    assert worst.endswith(": ok") and float(worst.split()[2]) < 1e-6


def test_doctor_failed_check_exits_1(capsys):
    code, out, _ = run(capsys, "doctor", "planar_2r", "--samples", "1", "--tol", "0")
    assert code == EXIT_NEGATIVE and out.rstrip().endswith("FAILED")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("<robot name='x'><link name='a'/><joint name='j' type='revolute'><parent link='a'/><child link='zz'/>"
         "</joint></robot>", "child link 'zz' does not exist"),
        ("<robot name='x'><link name='a'>", "not well-formed XML"),
        ("", "file is empty"),
    ],
)  # fmt: skip
def test_doctor_reports_a_broken_urdf_as_its_finding_exit_1(capsys, tmp_path, text, match):
    path = tmp_path / "broken.urdf"
    path.write_text(text)
    code, out, err = run(capsys, "doctor", str(path))
    assert code == EXIT_NEGATIVE and err == ""
    assert out.startswith("error: ") and match in out.splitlines()[0]
    assert "cannot be loaded" in out
    code, out, _ = run(capsys, "doctor", str(path), "--json")
    assert code == EXIT_NEGATIVE
    data = json.loads(out)
    assert set(data) == {"robot", "urdf", "nq", "nv", "findings", "derivative_check", "ok"}
    assert data["ok"] is False and data["derivative_check"] is None and data["urdf"] == str(path.resolve())
    (finding,) = data["findings"]
    assert finding["severity"] == "error" and finding["code"] == "invalid_urdf" and match in finding["message"]


def test_doctor_without_a_file_is_still_a_usage_error(capsys, tmp_path):
    assert_usage_error(capsys, "doctor", str(tmp_path / "missing.urdf"), match="does not exist")
    assert_usage_error(capsys, "doctor", "pandaa", match="did you mean 'panda'")


# -- ik ------------------------------------------------------------------------------------------------------
IK_KEYS = {
    "robot", "frame", "method", "target", "success", "reason", "q", "joints", "position_error", "rotation_error",
    "iterations", "restarts", "time", "obstacles", "self_collision", "clearance", "collisions", "closest", "url",
}  # fmt: skip
PANDA = ("panda", "--lock", "panda_finger_joint1")


def test_ik_position_only_planar_2r(capsys):
    data = run_json(capsys, "ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1", "0")
    assert set(data) == IK_KEYS
    assert data["success"] and data["reason"] == "converged" and data["url"] is None
    assert data["target"] == {"xyz": [1.0, 1.0, 0.0], "rpy": None, "quat_xyzw": None}
    q1, q2 = data["joints"]["joint1"], data["joints"]["joint2"]
    reached = [L1 * math.cos(q1) + L2 * math.cos(q1 + q2), L1 * math.sin(q1) + L2 * math.sin(q1 + q2)]
    assert reached == pytest.approx([1, 1], abs=1e-6)
    assert data["position_error"] < 1e-6 and data["iterations"] >= 1 and data["time"] > 0


def test_ik_unreachable_exits_1_with_closest_configuration(capsys):
    code, out, _ = run(capsys, "ik", "planar_2r", "--frame", "tool", "--xyz", "3", "0", "0", "--json")
    assert code == EXIT_NEGATIVE
    data = json.loads(out)
    assert not data["success"] and data["reason"] != "converged"
    assert data["position_error"] == pytest.approx(3 - (L1 + L2), abs=1e-12)  # stretched out towards the target: exact


def test_ik_full_pose_panda_text_output(capsys):
    code, out, _ = run(capsys, "ik", *PANDA, "--frame", "panda_hand_tcp", "--xyz", "0.4", "-0.1", "0.5",
                       "--rpy", "180", "0", "90", "--degrees")  # fmt: skip
    assert code == EXIT_OK
    assert out.startswith("solved: frame 'panda_hand_tcp'")
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("panda_joint")]
    assert all(row[2] == "deg" for row in rows)
    q = parse_q(robot, [f"{name}={value}" for name, value, _ in rows], degrees=True)
    T = kinejac.pose(robot, q, "panda_hand_tcp")
    np.testing.assert_allclose(T[:3, 3], [0.4, -0.1, 0.5], atol=1e-5)  # printed to 6 decimals of a degree
    np.testing.assert_allclose(T[:3, :3], [[0, 1, 0], [1, 0, 0], [0, 0, -1]], atol=1e-4)


def test_ik_quat_equals_rpy_and_seed_is_reproducible(capsys):
    args = ("ik", *PANDA, "--frame", "panda_hand_tcp", "--xyz", "0.3", "0.2", "0.4", "--method", "dls")
    by_quat = run_json(capsys, *args, "--quat", "1", "0", "0", "0", "--seed", "3")
    by_rpy = run_json(capsys, *args, "--rpy", str(math.pi), "0", "0", "--seed", "3")
    assert by_quat["success"] and by_rpy["success"] and by_quat["method"] == "dls"
    assert by_quat["target"]["quat_xyzw"] == pytest.approx([1, 0, 0, 0])
    assert by_rpy["target"]["quat_xyzw"] == pytest.approx([1, 0, 0, 0], abs=1e-12)
    again = run_json(capsys, *args, "--quat", "1", "0", "0", "0", "--seed", "3")
    assert again["q"] == by_quat["q"]


def test_ik_q0_is_the_start(capsys):
    # started at the solution, the solver has nothing to do
    data = run_json(capsys, "ik", "planar_2r", "--frame", "tool", "--xyz", str(L1 + L2 * math.cos(0.5)),
                    str(L2 * math.sin(0.5)), "0", "--q0", "joint2=0.5")  # fmt: skip
    assert data["success"] and data["joints"]["joint2"] == pytest.approx(0.5, abs=1e-6)
    assert data["joints"]["joint1"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["ik", "planar_2r", "--frame", "tool"], "give the target with --xyz"),
        (["ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1", "0", "--quat", "1", "1", "0", "0"], "unit"),
        (["ik", "planar_2r", "--frame", "tool", "--rpy", "0", "0", "0", "--quat", "0", "0", "0", "1"], "not allowed"),
        (["ik", "planar_2r", "--frame", "tool", "--xyz", "1", "y", "0"], "'y' is not a number"),
        (["ik", "planar_2r", "--frame", "tol", "--xyz", "1", "1", "0"], "did you mean 'tool'"),
        (["ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1"], "expected 3 arguments"),
    ],
)
def test_ik_usage_errors(capsys, argv, match):
    assert_usage_error(capsys, *argv, match=match)


def test_ik_unknown_method(capsys):
    assert_usage_error(capsys, "ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1", "0", "--method", "newton",
                       match="unknown IK method 'newton'")  # fmt: skip


# -- ik --all ------------------------------------------------------------------------------------------------
IK_ALL_KEYS = {
    "robot", "frame", "target", "family", "structure", "fixed", "count", "reason", "singular", "solutions", "time",
    "url",
}  # fmt: skip


def test_ik_all_lists_every_solution(capsys):
    import pinocchio as pin

    ur5 = kinejac.load("ur5")
    q0 = [0.3, -1.1, 1.4, -0.9, 0.8, 0.2]
    T = kinejac.pose(ur5, np.array(q0), "tool0")
    rpy = pin.rpy.matrixToRpy(T[:3, :3])
    target = ["--xyz", *map(repr, T[:3, 3].tolist()), "--rpy", *map(repr, rpy.tolist())]
    data = run_json(capsys, "ik", "ur5", "--frame", "tool0", *target, "--all", "--q0", *map(str, q0))
    assert set(data) == IK_ALL_KEYS and data["family"] == "three_parallel" and data["count"] == 8
    assert data["reason"] == "solved" and len(data["solutions"]) == 8 and data["fixed"] == {}
    first = data["solutions"][0]
    assert set(first) == {"q", "joints", "position_error", "rotation_error", "branch"}
    assert first["q"] == pytest.approx(q0, abs=1e-9) and first["position_error"] < 1e-12
    for s in data["solutions"]:
        assert np.abs(kinejac.pose(ur5, np.array(s["q"]), "tool0") - T).max() < 1e-10
    code, out, _ = run(capsys, "ik", "ur5", "--frame", "tool0", *target, "--all")
    assert code == EXIT_OK and "8 solution(s), nearest --q0 first" in out and "three parallel" in out


def test_ik_all_with_a_fixed_joint_and_degrees(capsys):
    args = ["ik", "panda", "--frame", "panda_hand_tcp", "--xyz", "0.4", "0", "0.5", "--rpy", "180", "0", "0"]
    args.append("--degrees")
    data = run_json(capsys, *args, "--all", "--fixed", "panda_joint7=45")
    assert data["family"] == "spherical_wrist" and data["fixed"] == {"panda_joint7": pytest.approx(np.pi / 4)}
    assert data["count"] >= 1
    assert all(s["joints"]["panda_joint7"] == pytest.approx(np.pi / 4) for s in data["solutions"])
    assert_usage_error(capsys, *args, "--all", match="the chain has 7 free joint(s)")
    assert_usage_error(capsys, *args, "--fixed", "panda_joint7=45", match="--fixed goes with --all")
    assert_usage_error(capsys, *args, "--all", "--fixed", "panda_joint7", match="expected JOINT=VALUE")
    assert_usage_error(capsys, "ik", "ur5", "--frame", "tool0", "--xyz", "0.3", "0", "0.4", "--all", match="full pose")


def test_ik_all_without_a_solution_exits_1(capsys):
    code, out, _ = run(capsys, "ik", "ur5", "--frame", "tool0", "--xyz", "2", "0", "0", "--rpy", "0", "0", "0", "--all")
    assert code == EXIT_NEGATIVE and "no solution (unreachable)" in out


def test_ik_all_view_no_wait(capsys):
    data = run_json(capsys, "ik", "ur5", "--frame", "tool0", "--xyz", "0.3", "0.2", "0.4", "--rpy", "3.14", "0", "0",
                    "--all", "--view", "--no-wait")  # fmt: skip
    assert data["count"] == 8 and data["url"].startswith("http://")


def test_doctor_names_the_ik_structure(capsys):
    data = run_json(capsys, "doctor", "panda", "--frame", "panda_hand_tcp", "--samples", "1")
    s = data["ik_structure"]["panda_hand_tcp"]
    assert s["family"] is None and s["fixable"]["panda_joint7"] == "spherical_wrist"
    code, out, _ = run(capsys, "doctor", "ur5", "--samples", "1")
    assert code == EXIT_OK and "IK structure of 'tool0': three parallel" in out


# -- manip ---------------------------------------------------------------------------------------------------
MANIP_KEYS = {
    "robot", "q", "joints", "frame", "part", "length_scale", "measures", "singular_values", "rank", "generic_rank",
    "singular", "tol", "ellipsoids", "notes",
}  # fmt: skip


def test_manip_planar_2r_closed_form(capsys):
    q2 = 0.5
    data = run_json(capsys, "manip", "planar_2r", "--q", "0.3", str(q2), "--frame", "tool", "--part", "translation")
    assert set(data) == MANIP_KEYS
    assert set(data["measures"]) == {"yoshikawa", "condition", "min_singular", "dynamic"}
    w = L1 * L2 * abs(math.sin(q2))  # Yoshikawa's measure of the planar 2R arm
    assert data["measures"]["yoshikawa"] == pytest.approx(w)
    s = data["singular_values"]
    assert len(s) == 2 and s[0] * s[1] == pytest.approx(w)
    assert data["measures"]["condition"] == pytest.approx(s[1] / s[0])
    assert (data["rank"], data["generic_rank"], data["singular"]) == (2, 2, False)
    e = data["ellipsoids"]["translation"]
    np.testing.assert_allclose(np.array(e["axes"]) @ np.array(e["axes"]).T, np.eye(3), atol=1e-12)
    assert e["velocity_radii"][:2] == pytest.approx(s) and e["velocity_radii"][2] == 0
    assert e["force_radii"][:2] == pytest.approx([1 / s[0], 1 / s[1]]) and e["force_radii"][2] is None
    assert e["center"] == pytest.approx(kinejac.pose(kinejac.load("planar_2r"), [0.3, q2], "tool")[:3, 3].tolist())


def test_manip_singular_text(capsys):
    code, out, _ = run(capsys, "manip", "planar_2r", "--q", "0.3", "0", "--frame", "tool", "--part", "translation")
    assert code == EXIT_OK
    assert "rank 1 of 2 generic, SINGULAR" in out
    yoshikawa = next(line for line in out.splitlines() if line.strip().startswith("yoshikawa"))
    assert float(yoshikawa.split()[1]) == pytest.approx(0, abs=1e-12)


# -- workspace -----------------------------------------------------------------------------------------------
def test_workspace_planar_2r(capsys, tmp_path):
    from kinejac.analysis import Workspace

    out, png = tmp_path / "ws.npz", tmp_path / "ws.png"
    argv = ["workspace", "planar_2r", "--frame", "tool", "--samples", "400", "--part", "translation", "--out", str(out)]
    argv += ["--png", str(png)]
    data = run_json(capsys, *argv)
    assert data["samples"] == 400 and data["out"] == str(out) and out.is_file()
    ws = Workspace.load(out)
    assert len(ws) == 400 and ws.frame == "tool"
    # every sample of the 2R arm: |p| <= l1 + l2 and w = l1 l2 |sin q2|
    assert np.linalg.norm(ws.positions, axis=1).max() <= L1 + L2 + 1e-12
    np.testing.assert_allclose(ws.manipulability, L1 * L2 * np.abs(np.sin(ws.configurations[:, 1])), atol=1e-12)
    assert data["manipulability"]["max"] == pytest.approx(ws.manipulability.max())
    assert data["bounds"]["max"] == pytest.approx(ws.positions.max(axis=0).tolist())
    assert data["best"]["manipulability"] == pytest.approx(ws.manipulability.max())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and data["png"] == str(png)
    # same seed, same samples
    again = run_json(capsys, *argv[:-2] if argv[-2] == "--png" else argv)
    assert again["manipulability"] == data["manipulability"]


@pytest.mark.parametrize(
    ("extra", "match"),
    [(["--samples", "0"], "positive integer"), (["--out", "/nonexistent/dir/ws.npz"], "does not exist")],
)
def test_workspace_usage_errors(capsys, tmp_path, extra, match):
    argv = ["workspace", "planar_2r", "--frame", "tool", "--samples", "10", "--out", str(tmp_path / "w.npz"), *extra]
    assert_usage_error(capsys, *argv, match=match)


# -- reachability ----------------------------------------------------------------------------------------------
def test_reachability_planar_2r(capsys, tmp_path):
    out, png = tmp_path / "map.npz", tmp_path / "map.png"
    argv = ["reachability", "planar_2r", "--frame", "tool", "--resolution", "0.2", "--orientations", "position"]
    argv += ["--bounds", "-2", "-2", "0", "2", "2", "0", "--out", str(out), "--png", str(png), "--workers", "1"]
    data = run_json(capsys, *argv)
    m = kinejac.ReachabilityMap.load(out)
    r = np.linalg.norm(m.centres, axis=1)
    assert data["voxels"] == len(m) == 21 * 21 and data["shape"] == [21, 21, 1] and data["orientations"] == "position"
    # the annulus 0.2 < r < 1.8 (its boundary voxels, r = 0.2 and 1.8, may go either way)
    inner = (r > L1 - L2 + 1e-9) & (r < L1 + L2 - 1e-9)
    outer = (r < L1 - L2 - 1e-9) | (r > L1 + L2 + 1e-9)
    assert (m.index[inner] == 1).all() and (m.index[outer] == 0).all()
    assert data["reachable_voxels"] == int((m.index > 0).sum()) and data["complete"] is True
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and data["png"] == str(png)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--resolution", "0"], "resolution must be a number > 0"),
        (["--orientations", "0"], "orientations must be >= 1"),
        (["--orientations", "many"], "positive integer or 'position'"),
        (["--bounds", "0", "0", "0", "-1", "1", "1"], "bounds are empty"),
        (["--scheduler", "tcp://127.0.0.1:9", "--workers", "2"], "not both"),
        (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    ],
)
def test_reachability_usage_errors(capsys, tmp_path, extra, match):
    argv = ["reachability", "planar_2r", "--frame", "tool", "--orientations", "position", "--resolution", "0.5"]
    assert_usage_error(capsys, *argv, "--out", str(tmp_path / "m.npz"), *extra, match=match)


def test_workspace_png_without_matplotlib_fails_before_sampling(tmp_path):
    out, png = tmp_path / "ws.npz", tmp_path / "ws.png"
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"  # as if matplotlib were not installed
        "from kinejac.cli import main\n"
        f"raise SystemExit(main(['workspace', 'planar_2r', '--frame', 'tool', '--samples', '50', "
        f"'--out', {str(out)!r}, '--png', {str(png)!r}]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == EXIT_USAGE
    assert proc.stderr.startswith("kinejac: error: --png needs matplotlib") and "nothing was computed" in proc.stderr
    assert not out.exists() and not png.exists()  # it failed before doing the work


def test_matplotlib_is_a_dependency_so_the_readme_plot_works_after_pip_install():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    from pathlib import Path

    project = tomllib.loads((Path(cli.__file__).parent.parent / "pyproject.toml").read_text())["project"]
    assert any(re.match(r"matplotlib\b", dep) for dep in project["dependencies"])


# -- view ----------------------------------------------------------------------------------------------------
def test_view_no_wait(capsys):
    data = run_json(capsys, "view", "planar_2r", "--q", "0.3", "0.5", "--ellipsoid", "--target", "1", "1", "0",
                    "--no-wait")  # fmt: skip
    assert data["url"].startswith("http://") and data["frame"] == "tool"
    assert data["joints"] == {"joint1": 0.3, "joint2": 0.5}


def test_ik_view_no_wait(capsys):
    data = run_json(capsys, "ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1", "0", "--view", "--no-wait")
    assert data["success"] and data["url"].startswith("http://")


def test_view_bad_target(capsys):
    assert_usage_error(capsys, "view", "planar_2r", "--target", "1", "2", "--no-wait", match="3 or 6 numbers")


# -- through a real process ----------------------------------------------------------------------------------
def _subprocess(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kinejac", *argv], capture_output=True, text=True, timeout=60)


def test_subprocess_fk_json():
    proc = _subprocess("fk", "planar_2r", "--q", "0", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["frames"]["tool"]["xyz"] == pytest.approx([L1 + L2, 0, 0])


def test_subprocess_usage_error_has_no_traceback():
    proc = _subprocess("jacobian", "ur5", "--frame", "tool1", "--q", "0", "0", "0", "0", "0", "0")
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "did you mean 'tool0'" in proc.stderr


def test_subprocess_ik_exit_status_1():
    proc = _subprocess("ik", "planar_2r", "--frame", "tool", "--xyz", "3", "0", "0")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("no solution found")


@pytest.mark.skipif(shutil.which("kinejac") is None, reason="the kinejac console script is not on PATH")
def test_console_script():
    proc = subprocess.run(["kinejac", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"kinejac {kinejac.__version__}"


def test_help_lists_the_library_choices(capsys):
    from kinejac.analysis import MEASURES
    from kinejac.ik import METHODS

    main(["ik", "--help"])
    ik_help = " ".join(capsys.readouterr().out.split())
    assert all(m in ik_help for m in METHODS)
    main(["workspace", "--help"])
    ws_help = " ".join(capsys.readouterr().out.split())
    assert all(m in ws_help for m in MEASURES)


def test_module_exports():
    assert set(cli.__all__) <= set(dir(cli))
    assert importlib.util.find_spec("kinejac.__main__") is not None
    from kinejac.__main__ import main as console_main

    assert console_main is main


# -- collisions and srdf ---------------------------------------------------------------------------------
def test_collisions_command(capsys, tmp_path):
    srdf = tmp_path / "panda.srdf"
    code, out, _ = run(capsys, "srdf", "panda", "--out", str(srdf), "--samples", "300")
    assert code == EXIT_OK and srdf.is_file() and "adjacent" in out
    folded = ["--q", "panda_joint2=1.7", "panda_joint4=-3.0", "panda_joint6=3.7"]
    code, out, _ = run(capsys, "collisions", "panda", "--srdf", str(srdf), *folded)
    assert code == EXIT_NEGATIVE and "IN COLLISION" in out and "panda_link0 -- panda_link6" in out
    code, out, _ = run(capsys, "collisions", "panda", "--srdf", str(srdf), *folded, "--json")
    data = json.loads(out)
    robot = kinejac.load("panda", srdf=srdf)
    q = np.array(data["q"])
    assert code == EXIT_NEGATIVE and data["in_collision"]
    assert [tuple(p) for p in data["pairs"]] == kinejac.collisions(robot, q)
    assert data["clearance"]["distance"] == pytest.approx(kinejac.clearance(robot, q).distance, abs=1e-7)
    stretched = ["--q", "panda_joint4=-0.07", "panda_joint6=1.57"]
    code, out, _ = run(capsys, "collisions", "panda", "--srdf", str(srdf), *stretched)
    assert code == EXIT_OK and "collision-free" in out
    # an obstacle in the way of the stretched arm
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps([{"type": "sphere", "name": "ball", "radius": 0.1, "center": [0.0, 0.0, 0.7]}]))
    code, out, _ = run(capsys, "collisions", "panda", "--srdf", str(srdf), *stretched, "--obstacles", str(scene))
    assert code == EXIT_NEGATIVE and "-- ball" in out
    bad = tmp_path / "bad.srdf"
    bad.write_text('<robot name="p"><disable_collisions link1="panda_link1" link2="nolink"/></robot>')
    assert_usage_error(capsys, "collisions", "panda", "--srdf", str(bad), match="'nolink'")
    assert_usage_error(capsys, "collisions", "panda", "--obstacles", str(tmp_path / "none.json"), match="none.json")


# -- ik with collision avoidance -----------------------------------------------------------------------------
def _elbows(x: float, y: float) -> list[np.ndarray]:
    """The elbow positions of planar_2r's two closed-form IK branches for the tool at (x, y)."""
    c2 = (x * x + y * y - L1 * L1 - L2 * L2) / (2 * L1 * L2)
    out = []
    for q2 in (math.acos(c2), -math.acos(c2)):
        q1 = math.atan2(y, x) - math.atan2(L2 * math.sin(q2), L1 + L2 * math.cos(q2))
        out.append(np.array([L1 * math.cos(q1), L1 * math.sin(q1), 0.0]))
    return out


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    t = np.clip(np.dot(p - a, b - a) / np.dot(b - a, b - a), 0.0, 1.0)
    return float(np.linalg.norm(p - (a + t * (b - a))))


def _ball_scene(tmp_path, center, radius: float):
    scene = tmp_path / "ball.json"
    scene.write_text(json.dumps({"obstacles": [{"type": "sphere", "name": "ball", "radius": radius,
                                                "center": [float(c) for c in center]}]}))  # fmt: skip
    return scene


def test_ik_obstacles_take_the_other_branch_planar_2r(capsys, tmp_path):
    robot = kinejac.load("planar_2r")
    goal = np.array([1.0, 1.0, 0.0])
    plain = run_json(capsys, "ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1", "0")
    assert set(plain) == IK_KEYS
    assert plain["obstacles"] == [] and plain["self_collision"] is False and plain["clearance"] == 0.0
    assert plain["collisions"] == [] and plain["closest"] is None  # checked for self-collision only: free
    elbows = _elbows(*goal[:2])
    elbow = kinejac.pose(robot, np.array(plain["q"]), "link2")[:3, 3]  # joint2 sits at link2's origin
    k = int(np.argmin([np.linalg.norm(elbow - e) for e in elbows]))
    np.testing.assert_allclose(elbow, elbows[k], atol=1e-6)
    other = elbows[1 - k]
    # a ball on the plain answer's elbow, clear of the other branch's links (by closed form)
    radius = 0.12
    assert min(_segment_distance(elbows[k], np.zeros(3), other), _segment_distance(elbows[k], other, goal)) > 0.3
    scene = _ball_scene(tmp_path, elbows[k], radius)
    argv = ("ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1", "0", "--obstacles", str(scene))
    data = run_json(capsys, *argv)
    q = np.array(data["q"])
    assert data["success"] and data["obstacles"] == ["ball"] and data["self_collision"] is False
    np.testing.assert_allclose(kinejac.pose(robot, q, "link2")[:3, 3], other, atol=1e-5)
    np.testing.assert_allclose(kinejac.pose(robot, q, "tool")[:3, 3], goal, atol=1e-6)
    assert data["collisions"] == [] and kinejac.collisions(robot, q, kinejac.load_scene(scene)) == []
    assert data["closest"]["distance"] == pytest.approx(
        kinejac.clearance(robot, q, kinejac.load_scene(scene), self_collision=False).distance, abs=1e-9
    )
    # a clearance is kept: the answer's closest avoided pair is at least that far
    data = run_json(capsys, *argv, "--clearance", "0.05")
    assert data["success"] and data["clearance"] == 0.05 and data["closest"]["distance"] >= 0.05
    code, out, err = run(capsys, *argv)
    assert code == EXIT_OK and "collision avoidance: 1 obstacle(s) (ball)" in out and "collision-free" in out
    assert "warning" not in err


def test_ik_no_free_answer_exits_1_with_reason_collision(capsys, tmp_path):
    robot = kinejac.load("planar_2r")
    scene = _ball_scene(tmp_path, [1.0, 1.0, 0.0], 0.1)  # the target is inside the ball
    argv = ("ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1", "0", "--obstacles", str(scene), "--timeout", "1")
    code, out, _ = run(capsys, *argv, "--json")
    data = json.loads(out)
    assert code == EXIT_NEGATIVE and not data["success"] and data["reason"] == "collision"
    assert data["position_error"] < 1e-6  # the answer reaches the target, in the ball
    pairs = kinejac.collisions(robot, np.array(data["q"]), kinejac.load_scene(scene), self_collision=False)
    assert pairs and [tuple(p) for p in data["collisions"]] == pairs
    assert all(b == "ball" for _, b in pairs) and data["closest"]["distance"] < 0
    code, out, _ = run(capsys, *argv)
    assert code == EXIT_NEGATIVE and out.startswith("no collision-free solution found (collision)")
    assert "IN COLLISION" in out and all(f"{a} -- {b}" in out for a, b in pairs)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--clearance", "0.01"], "--clearance needs --obstacles"),
        (["--self-collision", "--clearance", "-0.01"], "clearance"),
        (["--self-collision", "--method", "dls"], "collision avoidance needs method 'lm' or 'gn'"),
        (["--obstacles", "no_such_scene.json"], "no_such_scene.json"),
    ],
)
def test_ik_collision_usage_errors(capsys, extra, match):
    assert_usage_error(capsys, "ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1", "0", *extra, match=match)


@pytest.fixture(scope="module")
def panda_self_colliding_target():
    """A Panda tool pose whose plain IK answer (from the middle of the limits, seed 0, first
    attempt) self-collides while collision-aware IK finds a free one: searched among the poses of
    self-colliding configurations drawn within the limits (seed 0). Returns ``(robot, xyz, rpy)``."""
    import pinocchio as pin

    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    Q = robot.random_configuration(np.random.default_rng(0), size=400)
    for q in Q[kinejac.in_collision(robot, Q)]:
        T_world_tool = kinejac.pose(robot, q, "panda_hand_tcp")
        xyz, rpy = T_world_tool[:3, 3], pin.rpy.matrixToRpy(T_world_tool[:3, :3])
        T = np.eye(4)
        T[:3, :3], T[:3, 3] = pin.rpy.rpyToMatrix(*rpy), xyz  # exactly what the CLI builds from the repr()s
        plain = kinejac.solve_ik(robot, T, "panda_hand_tcp", timeout=2.0)
        if not (plain.success and plain.restarts == 0 and kinejac.collisions(robot, plain.q)):
            continue
        if kinejac.solve_ik(robot, T, "panda_hand_tcp", self_collision=True, timeout=2.0).success:
            return robot, xyz, rpy
    pytest.fail("no Panda target among 400 seeded configurations has a self-colliding plain IK answer")


def test_ik_warns_when_the_answer_self_collides(capsys, panda_self_colliding_target):
    robot, xyz, rpy = panda_self_colliding_target
    target = ["--xyz", *map(repr, map(float, xyz)), "--rpy", *map(repr, map(float, rpy))]
    argv = ("ik", *PANDA, "--frame", "panda_hand_tcp", *target, "--timeout", "2")
    code, out, err = run(capsys, *argv, "--json")
    data = json.loads(out)
    assert code == EXIT_OK and data["success"]  # the exit status is unchanged by the warning
    pairs = kinejac.collisions(robot, np.array(data["q"]))
    assert pairs and [tuple(p) for p in data["collisions"]] == pairs and data["closest"] is None
    named = ", ".join(f"{a} -- {b}" for a, b in pairs)
    expected = f"kinejac: warning: the answer self-collides: {named}; pass --self-collision to avoid it"
    assert err.strip().splitlines() == [expected]
    # with --self-collision: a free answer at the target, and no warning
    code, out, err = run(capsys, *argv, "--self-collision", "--json")
    data = json.loads(out)
    q = np.array(data["q"])
    assert code == EXIT_OK and data["success"] and data["self_collision"] is True and "warning" not in err
    assert data["collisions"] == [] and kinejac.collisions(robot, q) == [] and data["closest"]["distance"] > 0
    T = kinejac.pose(robot, q, "panda_hand_tcp")
    np.testing.assert_allclose(T[:3, 3], xyz, atol=1e-5)
    code, out, err = run(capsys, *argv, "--self-collision")
    assert code == EXIT_OK and "collision avoidance: self-collision" in out and "collision-free" in out


def test_ik_help_says_what_the_self_collision_check_costs(capsys):
    main(["ik", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--obstacles" in text and "--self-collision" in text and "--clearance" in text
    assert "1-3 s" in text and "--srdf" in text


def test_ik_clearance_not_kept_exits_1_with_the_closest_pair(capsys, tmp_path):
    # a ball 0.2 m above the target: the tool's 25 mm sphere stays 0.2 - 0.1 - 0.025 m from it on every branch
    scene = _ball_scene(tmp_path, [1.0, 1.0, 0.2], 0.1)
    argv = ("ik", "planar_2r", "--frame", "tool", "--xyz", "1", "1", "0", "--obstacles", str(scene),
            "--clearance", "0.1", "--timeout", "1")  # fmt: skip
    code, out, _ = run(capsys, *argv, "--json")
    data = json.loads(out)
    assert code == EXIT_NEGATIVE and data["reason"] == "collision" and data["collisions"] == []
    assert data["closest"]["pair"] == ["tool", "ball"]
    assert data["closest"]["distance"] == pytest.approx(0.075, abs=1e-9)
    code, out, _ = run(capsys, *argv)
    assert code == EXIT_NEGATIVE and "no pair collides, but the closest is nearer than the clearance (0.1 m)" in out
