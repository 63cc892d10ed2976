"""The malformed-URDF corpus (tests/data/bad_urdfs/): every broken file fails with a
:class:`KinejacError` subclass whose message names the file and the offending element; nothing
crashes the interpreter, hangs or loads a silently wrong model."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import kinejac
from kinejac.errors import KinejacError, URDFError, URDFNotFound
from kinejac.urdf import MAX_URDF_BYTES

CORPUS = Path(__file__).parent / "data" / "bad_urdfs"

# file -> what the error message must contain besides the file name (the element and the fault)
EXPECTED: dict[str, tuple[str, ...]] = {
    "truncated_xml.urdf": ("not well-formed XML", "line 6"),
    "not_xml.urdf": ("not well-formed XML", "line 1"),
    "binary_garbage.urdf": ("not well-formed XML",),
    "empty.urdf": ("empty",),
    "whitespace_only.urdf": ("empty",),
    "billion_laughs.urdf": ("not well-formed XML", "amplification"),
    "missing_robot_element.urdf": ("<model>", "<robot>"),
    "no_links.urdf": ("'no_links'", "no <link>"),
    "unnamed_link.urdf": ("<link>", "no name"),
    "missing_parent_link.urdf": ("joint 'j1'", "parent link 'basee'", "does not exist"),
    "missing_child_link.urdf": ("joint 'j2'", "child link 'tool'", "does not exist"),
    "joint_without_child.urdf": ("joint 'j1'", "<child"),
    "kinematic_loop.urdf": ("loop", "link '"),
    "two_parents.urdf": ("joint 'j4'", "'coupler'", "already the child"),
    "self_loop.urdf": ("joint 'j2'", "same link 'arm'"),
    "two_roots.urdf": ("2 roots", "'stray'"),
    "duplicate_link.urdf": ("link 'arm'", "defined twice"),
    "duplicate_joint.urdf": ("joint 'j1'", "defined twice"),
    "unknown_joint_type.urdf": ("joint 'j1'", "'hinge'", "revolute"),
    "zero_axis.urdf": ("joint 'j1'", "axis", "zero length"),
    "tiny_axis.urdf": ("joint 'j1'", "axis", "zero length"),
    "nan_axis.urdf": ("joint 'j1'", "axis", "finite"),
    "inf_axis.urdf": ("joint 'j1'", "axis", "finite"),
    "short_axis.urdf": ("joint 'j1'", "axis", "3 numbers"),
    "nan_origin_xyz.urdf": ("joint 'j1'", "origin xyz", "finite"),
    "inf_origin_rpy.urdf": ("joint 'j1'", "origin rpy", "finite"),
    "non_numeric_origin.urdf": ("joint 'j1'", "origin xyz", "'0 zero 0.1'"),
    "nan_visual_origin.urdf": ("link 'arm'", "<visual>/<origin> xyz", "finite"),
    "bad_inertial_mass.urdf": ("link 'arm'", "<inertial>/<mass>", "'heavy'"),
    "bad_box_size.urdf": ("link 'arm'", "<collision>/<box> size", "3 numbers"),
    "lower_above_upper.urdf": ("joint 'j1'", "lower limit 1.5 > upper limit -1.5"),
    "nan_limit.urdf": ("joint 'j1'", "lower", "NaN"),
    "infinite_limit.urdf": ("joint 'j1'", "finite"),
    "missing_limit.urdf": ("joint 'j1'", "no <limit>"),
    "negative_velocity_limit.urdf": ("joint 'j1'", "velocity", "negative"),
    "mimic_missing_joint.urdf": ("joint 'j3'", "'j9'", "does not exist"),
    "mimic_of_mimic.urdf": ("joint 'j3'", "'j2'", "itself a mimic"),
    "mimic_nan_multiplier.urdf": ("joint 'j3'", "multiplier", "NaN"),
    "mimic_of_continuous.urdf": ("joint 'j3'", "'j0' (continuous)"),
}
# valid URDFs kept in the corpus for what happens around them (see their tests below)
SPECIAL = {"missing_mesh.urdf", "mimic_order_unsupported.urdf"}


def test_corpus_is_complete_and_small() -> None:
    files = {p.name for p in CORPUS.glob("*.urdf")}
    assert files == set(EXPECTED) | SPECIAL  # every committed file is checked, every case exists
    assert len(EXPECTED) >= 15
    assert sum(p.stat().st_size for p in CORPUS.iterdir()) < 64 * 1024


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_urdf_raises_a_named_error(name: str) -> None:
    path = CORPUS / name
    with pytest.raises(URDFError) as info:
        kinejac.load(path)
    assert isinstance(info.value, KinejacError) and isinstance(info.value, ValueError)
    message = str(info.value)
    assert str(path) in message, message
    for part in EXPECTED[name]:
        assert part in message, f"{part!r} not in {message!r}"
    assert "pinocchio could not build" not in message  # caught by kinejac's own check, not by luck


@pytest.mark.parametrize("name", ["zero_axis.urdf", "duplicate_joint.urdf"])
@pytest.mark.parametrize("root_joint", ["floating", "planar"])
def test_bad_urdf_fails_the_same_way_with_a_moving_base(name: str, root_joint: str) -> None:
    with pytest.raises(URDFError, match=EXPECTED[name][-1]):
        kinejac.load(CORPUS / name, root_joint=root_joint)


def test_whole_corpus_in_a_subprocess_neither_crashes_nor_hangs() -> None:
    """A segfault or abort inside pinocchio would kill pytest itself: load every file in a child."""
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        import kinejac
        out = {}
        for path in sorted(Path(sys.argv[1]).glob("*.urdf")):
            try:
                kinejac.load(path)
                out[path.name] = "loaded"
            except kinejac.KinejacError as exc:
                out[path.name] = type(exc).__name__
        print(json.dumps(out))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(CORPUS)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {**dict.fromkeys(EXPECTED, "URDFError"), "missing_mesh.urdf": "loaded",
                      "mimic_order_unsupported.urdf": "URDFError"}


def test_missing_mesh_loads_for_kinematics_and_is_reported_for_the_viewer(tmp_path: Path) -> None:
    """Design: meshes only matter to the viewer, so load() succeeds with the right kinematics;
    ``robot.visual_model`` raises a URDFError and ``kinejac doctor`` reports the mesh."""
    path = CORPUS / "missing_mesh.urdf"
    robot = kinejac.load(path)
    assert (robot.nq, robot.nv) == (1, 1)
    T = kinejac.pose(robot, np.array([0.5]), "arm")
    np.testing.assert_allclose(T[:3, 3], [0, 0, 0.1], atol=1e-12)
    np.testing.assert_allclose(T[:2, 0], [np.cos(0.5), np.sin(0.5)], atol=1e-12)
    with pytest.raises(URDFError) as info:
        robot.visual_model  # noqa: B018
    assert str(path) in str(info.value)


def test_doctor_reports_the_unresolved_mesh(capsys: pytest.CaptureFixture[str]) -> None:
    from kinejac import cli

    code = cli.main(["doctor", str(CORPUS / "missing_mesh.urdf"), "--json", "--samples", "1"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    meshes = [f for f in report["findings"] if f["code"] == "unresolved_mesh"]
    assert [f["subject"] for f in meshes] == ["package://no_such_package/meshes/arm.stl"]


def test_visual_model_error_names_the_missing_mesh() -> None:
    robot = kinejac.load(CORPUS / "missing_mesh.urdf")
    with pytest.raises(URDFError, match=r"no_such_package/meshes/arm\.stl"):
        robot.visual_model  # noqa: B018


def test_mimic_order_pinocchio_cannot_build_is_a_urdf_error() -> None:
    """A valid URDF pinocchio 4 cannot build (mimic joint reached before the joint it follows):
    a URDFError naming the file, not a crash. The element is named by pinocchio's text only."""
    path = CORPUS / "mimic_order_unsupported.urdf"
    with pytest.raises(URDFError, match="mimic") as info:
        kinejac.load(path)
    assert str(path) in str(info.value)


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.urdf"
    with path.open("wb") as f:  # sparse: no disk space or time spent
        f.write(b'<robot name="huge"><link name="base"/>')
        f.truncate(MAX_URDF_BYTES + 1)
    with pytest.raises(URDFError, match=r"MiB.*limit") as info:
        kinejac.load(path)
    assert str(path) in str(info.value)


def test_deeply_nested_xml_is_a_urdf_error(tmp_path: Path) -> None:
    depth = 20_000
    path = tmp_path / "deep.urdf"
    nested = "<visual>" * depth + "</visual>" * depth
    path.write_text(f'<robot name="deep"><link name="base">{nested}</link></robot>')
    with pytest.raises(URDFError) as info:
        kinejac.load(path)
    assert str(path) in str(info.value)


def test_large_valid_chain_loads_and_is_right(tmp_path: Path) -> None:
    """300 prismatic joints along x, 1 cm apart: a big file loads and gives the exact answer."""
    n = 300
    parts = ['<robot name="long">', '<link name="l0"/>']
    for i in range(1, n + 1):
        parts.append(
            f'<link name="l{i}"/><joint name="j{i}" type="prismatic"><parent link="l{i - 1}"/><child link="l{i}"/>'
            f'<origin xyz="0.01 0 0"/><axis xyz="1 0 0"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint>'
        )
    path = tmp_path / "long.urdf"
    path.write_text("\n".join([*parts, "</robot>"]))
    robot = kinejac.load(path)
    assert robot.nq == n
    q = np.full(n, 0.001)
    np.testing.assert_allclose(kinejac.pose(robot, q, f"l{n}")[:3, 3], [n * 0.011, 0, 0], atol=1e-9)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(URDFNotFound, match="does not exist"):
        kinejac.load(tmp_path / "nope.urdf")
    (tmp_path / "dir.urdf").mkdir()
    with pytest.raises(URDFNotFound, match="is a directory"):
        kinejac.load(tmp_path / "dir.urdf")


def test_unreadable_bytes_in_names_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.urdf"
    path.write_bytes(b'<?xml version="1.0" encoding="utf-8"?><robot name="r\xe9"><link name="base"/></robot>')
    with pytest.raises(URDFError, match="not well-formed XML") as info:
        kinejac.load(path)
    assert str(path) in str(info.value)
