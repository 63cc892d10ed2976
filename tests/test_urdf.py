"""Loading: bundled names, files, example-robot-data, and clear errors for bad URDFs."""

from __future__ import annotations

import importlib.util

import pinocchio as pin
import pytest

import kinejac
from kinejac import urdf

GOOD = """<robot name="r">
  <link name="base"/><link name="a"/><link name="b"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="a"/>
    <axis xyz="{axis}"/><limit lower="{lower}" upper="{upper}" effort="1" velocity="1"/></joint>
  <joint name="j2" type="prismatic"><parent link="a"/><child link="b"/><origin xyz="0 0 1" rpy="0 0 0"/>
    <axis xyz="1 0 0"/><limit lower="0" upper="0.5" effort="1" velocity="1"/></joint>
</robot>"""


def write(tmp_path, text, name="robot.urdf"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_available_robots_lists_the_bundled_ones():
    names = kinejac.available_robots()
    assert {"planar_2r", "planar_3r", "ur5", "panda", "kinejac_test_robot"} <= set(names)


def test_load_from_a_path(tmp_path):
    robot = kinejac.load(write(tmp_path, GOOD.format(axis="0 0 1", lower=-1, upper=1)))
    assert (robot.name, robot.nq, robot.joint_names) == ("robot", 2, ("j1", "j2"))
    assert robot.urdf_path == tmp_path / "robot.urdf"
    robot = kinejac.load(str(tmp_path / "robot.urdf"), root_joint="planar")
    assert (robot.nq, robot.nv) == (6, 5)


def test_unknown_robot_lists_what_exists():
    with pytest.raises(kinejac.RobotNotFound, match=r"'pand' not found.*did you mean 'panda'.*Available: ") as exc:
        kinejac.load("pand")
    assert isinstance(exc.value, LookupError)


def test_bad_root_joint():
    with pytest.raises(kinejac.InvalidChoiceError, match="floating, planar"):
        kinejac.load("ur5", root_joint="freeflyer")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(kinejac.URDFNotFound, match=r"nope\.urdf' does not exist") as exc:
        kinejac.load(tmp_path / "nope.urdf")
    assert isinstance(exc.value, FileNotFoundError)
    (tmp_path / "dir.urdf").mkdir()
    with pytest.raises(kinejac.URDFNotFound, match="is a directory"):
        kinejac.load(tmp_path / "dir.urdf")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "file is empty"),
        ("<robot name='r'><link name='a'>", "not well-formed XML at line 1"),
        ("hello, world", "not well-formed XML"),
        ("<model><link name='a'/></model>", "root element is <model>, expected <robot>"),
        (GOOD.format(axis="0 0 0", lower=-1, upper=1), "joint 'j1': axis .* has zero length"),
        (GOOD.format(axis="0 nan 1", lower=-1, upper=1), "joint 'j1': axis must be finite"),
        (GOOD.format(axis="0 0 1", lower=1, upper=-1), "joint 'j1': lower limit 1.0 > upper limit -1.0"),
        (
            GOOD.replace('type="revolute"', 'type="hinge"').format(axis="0 0 1", lower=-1, upper=1),
            "unknown type 'hinge'",
        ),
        (
            GOOD.replace('<child link="b"/>', '<child link="c"/>').format(axis="0 0 1", lower=-1, upper=1),
            "child link 'c' does not exist",
        ),
    ],
)
def test_bad_urdfs_raise_urdf_errors_naming_file_and_element(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(kinejac.URDFError, match=message) as exc:
        kinejac.load(path)
    assert str(path) in str(exc.value)


def test_pinocchio_rejections_are_wrapped_with_the_file_name(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD.format(axis="0 0 1", lower=-1, upper=1))

    def reject(*args, **kwargs):
        raise RuntimeError("some parser complaint")

    monkeypatch.setattr(pin, "buildModelFromUrdf", reject)
    with pytest.raises(kinejac.URDFError, match=rf"{path}: pinocchio could not build a model: some parser complaint"):
        kinejac.load(path)


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD.format(axis="0 0 1", lower=-1, upper=1))
    monkeypatch.setattr(urdf, "MAX_URDF_BYTES", 100)
    with pytest.raises(kinejac.URDFError, match="over the 0 MiB limit"):
        kinejac.load(path)


@pytest.mark.skipif(urdf.erd_share() is None, reason="example-robot-data is not installed")
def test_example_robot_data_models_load():
    robot = kinejac.load("erd:ur5_robot")
    assert robot.nv == 6 and "tool0" in robot.frame_names
    assert any(d.endswith("share") for d in robot.package_dirs)
    assert "erd:ur5_robot" in kinejac.available_robots()


def test_bundled_robots_ship_inside_the_package():
    spec = importlib.util.find_spec("kinejac.robots")
    assert spec is not None
    assert set(urdf._bundled()) == {"planar_2r", "planar_3r", "ur5", "panda", "kinejac_test_robot"}


# -- findings: what a valid URDF still gets wrong --------------------------------------------------------
PITFALLS = """<robot name="pit">
  <link name="base"><inertial><mass value="2"/><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial>
    <visual><geometry><mesh filename="parts/base.STL"/></geometry></visual>
    <collision><geometry><mesh filename="parts/base.STL"/></geometry></collision></link>
  <link name="a"><visual><geometry><mesh filename="package://nopkg/a.dae"/></geometry></visual></link>
  <link name="b"><inertial><mass value="0"/><inertia ixx="1" ixy="0" ixz="0" iyy="1" iyz="0" izz="1"/></inertial>
    <visual><geometry><mesh filename="parts/b.ply"/></geometry></visual></link>
  <link name="c"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="a"/><axis xyz="0 0 1"/>
    <limit lower="0.5" upper="1" effort="1" velocity="1"/></joint>
  <joint name="j2" type="revolute"><parent link="a"/><child link="b"/><axis xyz="0 0 1"/>
    <limit lower="-1" upper="1" effort="1" velocity="1"/><mimic joint="j1" multiplier="2.5" offset="-0.1"/></joint>
  <joint name="c" type="continuous"><parent link="b"/><child link="c"/><axis xyz="1 0 0"/>
    <limit upper="4" effort="1" velocity="1"/></joint>
</robot>"""


def test_urdf_findings_in_their_documented_order(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "base.STL").write_text("solid x\nendsolid x\n")
    (tmp_path / "parts" / "b.ply").write_text("ply\n")
    robot = kinejac.load(write(tmp_path, PITFALLS))
    findings = urdf.urdf_findings(robot)
    assert [(f.severity, f.code, f.subject) for f in findings] == [
        ("note", "mimic", "j2"),
        ("warning", "continuous_limits", "c"),
        ("warning", "unresolved_mesh", "package://nopkg/a.dae"),
        ("warning", "unsupported_mesh", "parts/b.ply"),  # base.STL resolves and is drawable (any case)
        ("note", "no_inertia", "a, b, c"),  # b has a mass of 0
        ("warning", "duplicate_frame", "c"),  # the link c and the joint c
        ("note", "neutral_outside_limits", "robot"),  # named after the file
    ]
    by_code = {f.code: f.message for f in findings}
    assert by_code["mimic"] == "joint 'j2' mimics 'j1' (x 2.5 + -0.1): it has no coordinate of its own in q"
    assert by_code["continuous_limits"].startswith("continuous joint 'c' declares position limits [-, 4], which")
    assert by_code["no_inertia"].startswith("3 link(s) without mass or inertia (a, b, c): harmless")
    assert by_code["neutral_outside_limits"].endswith("outside the joint limits: j1 = 0 not in [0.5, 1]")
    assert "looked at: " in by_code["unresolved_mesh"]


def test_urdf_findings_without_a_file_are_the_models_own(tmp_path):
    robot = kinejac.load(write(tmp_path, PITFALLS)).source.load()  # rebuilt from its source: no urdf_path
    assert robot.urdf_path is None
    codes = [f.code for f in urdf.urdf_findings(robot)]
    assert codes == ["duplicate_frame", "neutral_outside_limits"]
    assert urdf.urdf_findings(kinejac.load("planar_2r")) == []


def test_findings_come_from_the_same_walk_that_validates(tmp_path):
    path = write(tmp_path, PITFALLS)
    robot = kinejac.load(path)
    path.write_text(PITFALLS.replace('lower="0.5"', 'lower="2"'))  # broken after loading: lower > upper
    with pytest.raises(kinejac.URDFError, match=r"joint 'j1': lower limit 2\.0 > upper limit 1\.0"):
        urdf.urdf_findings(robot)
