"""package:// meshes found as ROS tools find them: walking up from the URDF, ROS_PACKAGE_PATH,
AMENT_PREFIX_PATH, then package_dirs; a mesh still missing names every place looked."""

from __future__ import annotations

import pytest

import kinejac
from kinejac import urdf
from kinejac.packages import find_package, package_dirs_for, package_names

# a 4 cm cube as an ASCII STL (12 triangles), in its own frame
_CORNERS = [(x, y, z) for x in (-0.02, 0.02) for y in (-0.02, 0.02) for z in (-0.02, 0.02)]
_FACES = [(0, 1, 3), (0, 3, 2), (4, 6, 7), (4, 7, 5), (0, 4, 5), (0, 5, 1), (2, 3, 7), (2, 7, 6), (0, 2, 6),
          (0, 6, 4), (1, 5, 7), (1, 7, 3)]  # fmt: skip

URDF = """<robot name="r">
  <link name="base"><collision><geometry><mesh filename="package://{pkg}/meshes/cube.stl"/></geometry></collision></link>
  <link name="a"><collision><origin xyz="0 0 0.3"/><geometry><mesh filename="package://{pkg}/meshes/cube.stl"/>
  </geometry></collision></link>
  <joint name="j1" type="revolute"><parent link="base"/><child link="a"/>
    <axis xyz="0 1 0"/><limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
</robot>"""


def _stl() -> str:
    lines = ["solid cube"]
    for f in _FACES:
        lines += ["facet normal 0 0 0", "outer loop", *(f"vertex {' '.join(map(str, _CORNERS[i]))}" for i in f)]
        lines += ["endloop", "endfacet"]
    return "\n".join([*lines, "endsolid cube", ""])


def _package(root, name="my_robot"):
    """A ROS package folder ``root/name`` with urdf/robot.urdf and meshes/cube.stl; the URDF path."""
    pkg = root / name
    (pkg / "urdf").mkdir(parents=True)
    (pkg / "meshes").mkdir()
    (pkg / "meshes" / "cube.stl").write_text(_stl())
    (pkg / "package.xml").write_text(f"<package><name>{name}</name></package>")
    path = pkg / "urdf" / "robot.urdf"
    path.write_text(URDF.format(pkg=name))
    return path


def test_package_names_are_read_once_in_order():
    files = ["package://b/x.stl", "meshes/y.stl", "package://a/z.stl", "package://b/w.stl", "file:///m.stl"]
    assert package_names(files) == ["b", "a"]


def test_a_urdf_loaded_by_path_finds_its_package_meshes_walking_up(tmp_path, monkeypatch):
    monkeypatch.delenv("ROS_PACKAGE_PATH", raising=False)
    monkeypatch.delenv("AMENT_PREFIX_PATH", raising=False)
    path = _package(tmp_path / "ws" / "src")
    robot = kinejac.load(path)
    gm = robot.collision_model
    assert gm.ngeoms == 2
    assert gm.geometryObjects[0].meshPath == str(tmp_path / "ws" / "src" / "my_robot" / "meshes" / "cube.stl")
    assert gm.geometryObjects[1].meshPath == gm.geometryObjects[0].meshPath


def test_a_sibling_package_is_found_from_the_workspace(tmp_path):
    _package(tmp_path / "src", "meshes_pkg")
    urdf_dir = tmp_path / "src" / "robot_description" / "urdf"
    urdf_dir.mkdir(parents=True)
    lookup = find_package("meshes_pkg", urdf_dir, environ={})
    assert lookup.root == tmp_path / "src" / "meshes_pkg"
    assert lookup.looked[0] == urdf_dir / "meshes_pkg"


def test_ros_package_path_then_ament_prefix_path_then_package_dirs(tmp_path):
    ros = tmp_path / "ros"
    _package(ros / "nested", "p_ros")  # one folder down, as ROS 1 workspaces nest packages
    (tmp_path / "ament" / "share" / "p_ament").mkdir(parents=True)
    (tmp_path / "mine" / "p_mine").mkdir(parents=True)
    env = {"ROS_PACKAGE_PATH": str(ros), "AMENT_PREFIX_PATH": str(tmp_path / "ament")}
    far = tmp_path / "elsewhere" / "urdf"
    far.mkdir(parents=True)
    assert find_package("p_ros", far, environ=env).root == ros / "nested" / "p_ros"
    assert find_package("p_ament", far, environ=env).root == tmp_path / "ament" / "share" / "p_ament"
    assert find_package("p_mine", far, [tmp_path / "mine"], environ=env).root == tmp_path / "mine" / "p_mine"
    dirs, lookups = package_dirs_for(["package://p_ament/a.stl", "package://nope/b.stl"], far, environ=env)
    assert dirs == [str(tmp_path / "ament" / "share")]
    assert [lk.root is None for lk in lookups] == [False, True]


def test_a_missing_package_names_every_place_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("ROS_PACKAGE_PATH", raising=False)
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(tmp_path / "prefix"))
    path = _package(tmp_path / "src", "present")
    path.write_text(URDF.format(pkg="absent"))
    robot = kinejac.load(path)
    with pytest.raises(kinejac.URDFError) as err:
        _ = robot.collision_model
    text = str(err.value)
    assert "package 'absent' of package://absent/meshes/cube.stl not found" in text
    assert str(tmp_path / "src" / "present" / "urdf" / "absent") in text
    assert str(tmp_path / "prefix" / "share" / "absent") in text


@pytest.mark.skipif(urdf.erd_share() is None, reason="example-robot-data is not installed")
def test_example_robot_data_panda_by_path_builds_its_collision_meshes():
    share = urdf.erd_share()
    path = share / "example-robot-data/robots/panda_description/urdf/panda.urdf"
    robot = kinejac.load(path, srdf=share / "example-robot-data/robots/panda_description/srdf/panda.srdf")
    names = [g.name for g in robot.collision_model.geometryObjects]
    assert len(names) == 17 and names[0] == "panda_link0_0"
    assert str(share) in robot.package_dirs
