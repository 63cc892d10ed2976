"""The meshcat viewer: URDF visuals, the server's lifetime, markers, and what a real browser draws."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import kinejac
from kinejac.errors import InvalidChoiceError, InvalidValueError, KinejacError, ShapeError

pytest.importorskip("meshcat")

from browser import changed_fraction, middle, open_browser, png_to_array

from kinejac.viewer import INSTALL_HINT, Viewer, resolve_mesh_path, visual_elements, wait_for_scene
from kinejac.viewer._style import VIRIDIS

BUNDLED = ["planar_2r", "planar_3r", "ur5", "panda", "kinejac_test_robot"]


@pytest.fixture(scope="module")
def ur5():
    return kinejac.load("ur5")


@pytest.fixture(scope="module")
def viewer(ur5):
    with Viewer(ur5, quiet=True) as v:
        yield v


def _port_open(url: str) -> bool:
    host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, int(port))) == 0


# -- import hygiene ------------------------------------------------------------------------------
def test_core_and_viewer_package_do_not_import_meshcat():
    code = (
        "import sys, kinejac, kinejac.viewer; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('meshcat', 'zmq', 'tornado', 'IPython')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_meshcat_gives_install_hint(monkeypatch, ur5):
    monkeypatch.setitem(sys.modules, "meshcat", None)
    with pytest.raises(ImportError, match="pip install 'meshcat"):
        Viewer(ur5)
    assert "meshcat" in INSTALL_HINT


# -- visual geometry -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_visuals_match_the_urdf(name):
    robot = kinejac.load(name)
    root = ET.parse(robot.urdf_path).getroot()
    expected = [
        (link.get("name"), next(iter(v.find("geometry"))).tag)
        for link in root.iter("link")
        for v in link.findall("visual")
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        elements = visual_elements(robot)
    assert [(e.link, e.shape) for e in elements] == expected
    assert all(e.rgba is not None and len(e.rgba) == 4 for e in elements)  # every bundled visual has a colour
    assert len({e.name for e in elements}) == len(elements)


@pytest.mark.parametrize("name", ["ur5", "panda", "kinejac_test_robot", "erd:ur5_robot"])
def test_visual_poses_match_pinocchio_geometry_placements(name):
    """T_world_link @ T_link_visual equals pinocchio's oMg for every visual (same names too)."""
    import pinocchio as pin

    robot = kinejac.load(name)
    model, data = robot.model, robot.data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pinocchio warns about package dirs
        geom = robot.visual_model
    gdata = geom.createData()
    names = [g.name for g in geom.geometryObjects]
    elements = visual_elements(robot)
    assert sorted(e.name for e in elements) == sorted(names)
    for q in robot.random_configuration(0, size=3):
        pin.framesForwardKinematics(model, data, q)
        pin.updateGeometryPlacements(model, data, geom, gdata)
        for e in elements:
            T = data.oMf[robot.frame_id(e.link)].homogeneous @ e.T_link_visual
            np.testing.assert_allclose(T, gdata.oMg[names.index(e.name)].homogeneous, atol=1e-12)


def test_planar_2r_visuals_values():
    elements = visual_elements(kinejac.load("planar_2r"))
    box = next(e for e in elements if e.shape == "box" and e.size[0] == 1.0)
    assert box.size == (1.0, 0.05, 0.04)
    np.testing.assert_allclose(box.T_link_visual[:3, 3], [0.5, 0.0, 0.0])
    base = next(e for e in elements if e.shape == "cylinder" and e.size == (0.08, 0.1))
    np.testing.assert_allclose(base.T_link_visual[:3, 3], [0.0, 0.0, -0.05])


def test_erd_ur5_meshes_resolve_through_package_dirs():
    robot = kinejac.load("erd:ur5_robot")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        elements = visual_elements(robot)
    meshes = [e for e in elements if e.shape == "mesh"]
    assert len(meshes) == 7
    assert all(e.mesh_path.is_file() and e.mesh_path.suffix == ".dae" for e in meshes)


def test_resolve_mesh_path(tmp_path):
    pkg = tmp_path / "share" / "my_robot" / "meshes"
    pkg.mkdir(parents=True)
    (pkg / "a.stl").write_bytes(b"solid a\nendsolid a\n")
    urdf_dir = tmp_path / "share" / "my_robot" / "urdf"
    urdf_dir.mkdir()
    found, _ = resolve_mesh_path("package://my_robot/meshes/a.stl", urdf_dir, [tmp_path / "share"])
    assert found == pkg / "a.stl"
    found, _ = resolve_mesh_path("package://my_robot/meshes/a.stl", urdf_dir, [tmp_path / "share" / "my_robot"])
    assert found == pkg / "a.stl"  # a package dir that is the package folder itself
    assert resolve_mesh_path("../meshes/a.stl", urdf_dir, [])[0] == urdf_dir / "../meshes/a.stl"
    assert resolve_mesh_path(f"file://{pkg / 'a.stl'}", urdf_dir, [])[0] == pkg / "a.stl"
    missing, looked = resolve_mesh_path("package://other/b.stl", urdf_dir, [tmp_path / "share"])
    assert missing is None and looked == [tmp_path / "share" / "other" / "b.stl"]


@pytest.fixture(scope="module")
def ur5_missing_mesh(tmp_path_factory):
    """ERD's UR5 with the forearm's visual mesh renamed to a file that does not exist."""
    src = kinejac.load("erd:ur5_robot")
    text = Path(src.urdf_path).read_text().replace("visual/forearm.dae", "visual/no_such_forearm.dae")
    path = tmp_path_factory.mktemp("urdf") / "ur5_missing.urdf"
    path.write_text(text)
    return kinejac.load(path, package_dirs=src.package_dirs[:1])


def test_missing_mesh_warns_with_the_file_name_and_keeps_the_rest(ur5_missing_mesh):
    with pytest.warns(UserWarning, match=r"no_such_forearm\.dae.*forearm_link.*not drawn"):
        elements = visual_elements(ur5_missing_mesh)
    assert [e.link for e in elements if e.shape == "mesh"] == [
        "base_link", "shoulder_link", "upper_arm_link", "wrist_1_link", "wrist_2_link", "wrist_3_link"
    ]  # fmt: skip


def test_unsupported_mesh_format_warns(tmp_path):
    (tmp_path / "part.ply").write_text("ply\n")
    urdf = tmp_path / "r.urdf"
    urdf.write_text(
        '<robot name="r"><link name="base"><visual><geometry><mesh filename="part.ply"/></geometry></visual>'
        '<visual><geometry><sphere radius="0.1"/></geometry></visual></link></robot>'
    )
    with pytest.warns(UserWarning, match=r"part\.ply.*\.ply file"):
        elements = visual_elements(kinejac.load(urdf))
    assert [e.shape for e in elements] == ["sphere"]


# -- the server's lifetime -------------------------------------------------------------------------
def test_close_stops_the_server_process(ur5, capsys):
    with Viewer(ur5) as v:
        assert capsys.readouterr().out.strip() == f"kinejac viewer: {v.url}"
        assert v.url.startswith("http://127.0.0.1:")
        proc = v.server_process
        assert proc.poll() is None and _port_open(v.url)
    assert v.closed and proc.returncode is not None
    assert not Path(f"/proc/{proc.pid}").exists() or "zombie" not in Path(f"/proc/{proc.pid}/status").read_text()
    assert not _port_open(v.url)
    v.close()  # idempotent
    with pytest.raises(KinejacError, match="closed"):
        v.show(ur5.neutral())


def test_garbage_collected_viewer_stops_its_server(ur5):
    import gc

    v = Viewer(ur5, quiet=True)
    proc = v.server_process
    del v
    gc.collect()
    assert proc.returncode is not None


def test_second_viewer_connects_to_a_running_server(viewer, ur5):
    with Viewer(ur5, zmq_url=viewer.zmq_url, quiet=True) as other:
        assert other.url == viewer.url and other.server_process is None
    assert viewer.server_process.poll() is None  # closing the client leaves the server running
    viewer.show(ur5.neutral())


def test_no_server_at_zmq_url_is_an_error_not_a_hang(ur5):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(KinejacError, match="no answer from the meshcat server"):
        Viewer(ur5, zmq_url=f"tcp://127.0.0.1:{port}", timeout=0.5)


# -- drawing ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_robot_draws_and_moves(name):
    robot = kinejac.load(name)
    with Viewer(robot, quiet=True) as v:
        q = robot.random_configuration(0)
        v.show(q)
        np.testing.assert_array_equal(v.q, q)
        v.show_frames(robot.frame_names[-1:], scale=0.2)
        assert v.play(robot.random_configuration(1, size=3)) == 3
        v.show_frames([*robot.frame_names[-1:], robot.frame_names[1]], scale=0.2)
        v.delete("frames", robot.frame_names[1])  # the others stay, at their scale
        assert v._shown_frames == {robot.frame_names[-1]: (robot.frame_id(robot.frame_names[-1]), 0.2)}


def test_show_checks_q(viewer, ur5):
    with pytest.raises(ShapeError):
        viewer.show(np.zeros(ur5.nq + 1))
    with pytest.raises(ShapeError):
        viewer.show(np.zeros((2, ur5.nq)))
    q = ur5.random_configuration(0)
    viewer.show(q)
    np.testing.assert_array_equal(viewer.q, q)


def test_links_near_limits(ur5):
    with Viewer(ur5, quiet=True, tint_margin=0.05) as v:
        mid = (ur5.lower + ur5.upper) / 2
        assert v.links_near_limits(mid) == set()
        j = ur5.joint(ur5.joint_names[2])
        q = mid.copy()
        q[j.idx_q] = ur5.upper[j.idx_q] - 0.01 * (ur5.upper[j.idx_q] - ur5.lower[j.idx_q])
        near = v.links_near_limits(q)
        moved_by = {ur5.model.frames[ur5.frame_id(link)].parentJoint for link in near}
        assert near and moved_by == {ur5.model.getJointId(j.name)}
        v.show(q)  # re-draws the tinted links, then back
        v.show(mid)
    with Viewer(ur5, quiet=True, tint_margin=0.0) as v:
        assert v.links_near_limits(q) == set()


def test_markers_validate_and_return_what_they_draw(viewer, ur5):
    q = ur5.random_configuration(1)
    viewer.show_frames(["tool0", "base_link"])
    viewer.show_frames("tool0")
    with pytest.raises(kinejac.FrameNotFound):
        viewer.show_frames(["tool9"])
    viewer.show_target(kinejac.pose(ur5, q, "tool0"))
    with pytest.raises(InvalidValueError):
        viewer.show_target(np.diag([2.0, 1, 1, 1]))
    rot = np.linalg.qr(np.random.default_rng(2).standard_normal((3, 3)))[0]  # det may be -1
    drawn = viewer.show_ellipsoid(center=[0.1, 0.2, 0.3], axes=rot, radii=[0.3, 0.2, 0.0], scale=0.5)
    np.testing.assert_allclose(drawn, [0.15, 0.1, 0.15e-3])  # a flat ellipsoid is kept visible
    with pytest.raises(InvalidValueError, match="orthonormal"):
        viewer.show_ellipsoid(center=np.zeros(3), axes=2 * np.eye(3), radii=np.ones(3))
    with pytest.raises(ShapeError):
        viewer.show_ellipsoid(center=np.zeros(2), axes=np.eye(3), radii=np.ones(3))
    with pytest.raises(InvalidValueError, match="center, axes and radii"):
        viewer.show_ellipsoid(object())
    traj = ur5.random_configuration(3, size=5)
    path = viewer.show_path(traj, frame="tool0")
    np.testing.assert_allclose(path, kinejac.pose(ur5, traj, "tool0")[:, :3, 3])
    with pytest.raises(ShapeError):
        viewer.show_path(np.zeros((1, 3)))
    values = np.array([0.0, 0.25, 1.0, 2.0])  # over [0, 2]: viridis at 0, 1/8, 1/2 and 1
    rgb = viewer.show_points(np.zeros((4, 3)), values)
    np.testing.assert_allclose(rgb, [VIRIDIS[0], (VIRIDIS[0] + VIRIDIS[1]) / 2, VIRIDIS[2], VIRIDIS[4]])
    with pytest.raises(ShapeError):
        viewer.show_points(np.zeros((4, 3)), values[:3])
    viewer.delete("points", "points")
    viewer.delete("frames")
    with pytest.raises(InvalidChoiceError):
        viewer.delete("robot")


def test_points_of_reachability_maps(viewer):
    arm = kinejac.load("planar_2r")
    m = kinejac.reachability(arm, "tool", resolution=0.4, orientations="position", bounds=[[-2, -2, 0], [2, 2, 0]])
    bases = m.inverse([0.5, 0.3, 0.0], yaws=2)
    for drawn in (m, bases):  # reachable voxels coloured by index, base positions by score
        P, values = drawn.as_points()
        assert len(P) > 10 and (values > 0).all()
        rgb = viewer.show_points(drawn, name="reach")
        assert rgb.shape == (len(P), 3)
    viewer.delete("points", "reach")


def test_ellipsoid_duck_typing_and_isotropy_colour(viewer):
    class Ellipsoid:
        center, axes, radii = np.zeros(3), np.eye(3), np.array([0.2, 0.2, 0.2])

    np.testing.assert_allclose(viewer.show_ellipsoid(Ellipsoid(), name="round"), [0.2, 0.2, 0.2])


def test_infinite_force_ellipsoid_radius_is_drawn_at_max_radius(viewer):
    drawn = viewer.show_ellipsoid(center=np.zeros(3), axes=np.eye(3), radii=[np.inf, 0.5, 1.0], max_radius=1.5)
    np.testing.assert_allclose(drawn, [1.5, 0.5, 1.0])
    with pytest.raises(InvalidValueError):
        viewer.show_ellipsoid(center=np.zeros(3), axes=np.eye(3), radii=[np.nan, 0.5, 1.0])


def test_ellipsoid_from_q_and_frame_uses_manipulability(viewer, ur5):
    q = ur5.random_configuration(4)
    e = kinejac.velocity_ellipsoid(ur5, q, "tool0", part="translation")
    np.testing.assert_allclose(viewer.show_ellipsoid(q=q, frame="tool0"), np.maximum(e.radii, 1e-3 * max(e.radii)))
    near_singular = ur5.from_dict({"elbow_joint": 0.0})  # arm stretched: a force radius is huge or inf
    drawn = viewer.show_ellipsoid(q=near_singular, frame="tool0", kind="force", max_radius=1.0)
    assert np.isfinite(drawn).all() and drawn.max() == 1.0


def test_play_takes_a_trajectory_or_a_history(viewer, ur5):
    traj = ur5.random_configuration(5, size=7)
    assert viewer.play(traj, dt=0.1) == 7

    class Result:
        history = traj[:3]

    assert viewer.play(Result()) == 3
    Result.history = None
    with pytest.raises(InvalidValueError, match="no history"):
        viewer.play(Result())
    with pytest.raises(InvalidValueError):
        viewer.play(traj, dt=0.0)
    with pytest.raises(ShapeError):
        viewer.play(traj[:, :-1])


# -- in a real browser ---------------------------------------------------------------------------
_KINEJAC_JS = "viewer.scene_tree.children.meshcat.children.kinejac"
_LINK_POSITION_JS = _KINEJAC_JS + ".children.robot.children[{link!r}].object.position.toArray()"
_SET_KINEJAC_VISIBLE_JS = _KINEJAC_JS + ".object.visible = {flag}; viewer.set_dirty(); true"


def _shot_without_and_with_kinejac(browser) -> tuple[np.ndarray, np.ndarray]:
    browser.evaluate(_SET_KINEJAC_VISIBLE_JS.format(flag="false"))
    browser.frames(3)
    background = png_to_array(browser.screenshot())
    browser.evaluate(_SET_KINEJAC_VISIBLE_JS.format(flag="true"))
    browser.frames(3)
    return background, png_to_array(browser.screenshot())


def test_browser_draws_robot_ellipsoid_target_and_follows_show(ur5):
    q1 = ur5.from_dict({"shoulder_lift_joint": -1.0, "elbow_joint": 1.2})
    q2 = ur5.from_dict({"shoulder_pan_joint": 1.2, "shoulder_lift_joint": -2.0, "elbow_joint": 0.3})
    with Viewer(ur5, quiet=True) as v, open_browser(800, 600) as browser:
        v.show(q1)
        T = kinejac.pose(ur5, q1, "tool0")
        U, s, _ = np.linalg.svd(kinejac.jacobian(ur5, q1, "tool0")[:3])
        v.show_ellipsoid(center=T[:3, 3], axes=U, radii=s, scale=0.3)
        v.show_target(T @ np.array([[1, 0, 0, 0.1], [0, 1, 0, 0.1], [0, 0, 1, 0.1], [0, 0, 0, 1.0]]))
        wait_for_scene(browser, v.url, len(visual_elements(ur5)))
        background, first = _shot_without_and_with_kinejac(browser)
        drawn = changed_fraction(middle(first), middle(background))
        assert drawn > 0.03, f"only {drawn:.1%} of the middle of the page shows the robot"  # measured 6.5%
        js = _LINK_POSITION_JS.format(link="wrist_3_link")
        np.testing.assert_allclose(browser.evaluate(js), kinejac.pose(ur5, q1, "wrist_3_link")[:3, 3], atol=1e-6)

        v.show(q2)
        expected = kinejac.pose(ur5, q2, "wrist_3_link")[:3, 3]
        browser.wait_for(
            f"(p => Math.hypot(p[0] - {expected[0]}, p[1] - {expected[1]}, p[2] - {expected[2]}) < 1e-6)({js})"
        )
        browser.frames(3)
        second = png_to_array(browser.screenshot())
        moved = changed_fraction(middle(second), middle(first))
        assert moved > 0.02, f"only {moved:.1%} of the middle changed after show(q2)"  # measured 5.6%
    assert browser.process.returncode is not None  # the browser is stopped
    # offline: the page fetched nothing but the local server (meshcat ships its JavaScript)
    assert any(url.endswith("main.min.js") for url in browser.requests)
    assert all(url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:")) for url in browser.requests), (
        browser.requests
    )


def test_browser_draws_example_robot_data_meshes(tmp_path):
    robot = kinejac.load("erd:ur5_robot")
    q = robot.from_dict({"shoulder_lift_joint": -1.2, "elbow_joint": 1.5})
    with Viewer(robot, quiet=True) as v, open_browser(640, 480) as browser:
        v.show(q)
        wait_for_scene(browser, v.url, 7)
        background, shot = _shot_without_and_with_kinejac(browser)
        drawn = changed_fraction(middle(shot), middle(background))
        assert drawn > 0.05, f"only {drawn:.1%} of the middle of the page shows the meshes"  # measured 18%
        png = v.screenshot(tmp_path / "ur5.png", width=320, height=240)
    assert (tmp_path / "ur5.png").read_bytes() == png and png_to_array(png).shape == (240, 320, 3)


def test_a_browser_that_cannot_start_is_a_kinejac_error_and_leaves_no_profile(tmp_path):
    import glob

    from kinejac.viewer._chromium import HeadlessChromium

    fake = tmp_path / "not-a-browser"
    fake.write_text("plain text, not a program")
    fake.chmod(0o755)
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "kinejac-chromium-*")))
    with pytest.raises(KinejacError, match="cannot start the browser"):
        HeadlessChromium(executable=str(fake))
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "kinejac-chromium-*"))) == before


# -- collisions ----------------------------------------------------------------------------------
def test_collision_geometry_spheres_obstacles_and_colliding_links(tmp_path):
    robot = kinejac.load("panda")
    robot.set_disabled_pairs(kinejac.collision.generate_disabled_pairs(robot, samples=300, seed=0))
    mesh = tmp_path / "tri.obj"
    mesh.write_text("v 0 0 0\nv 0.1 0 0\nv 0 0.1 0\nv 0 0 0.1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n")
    T = np.eye(4)
    T[:3, 3] = [0.0, 0.0, 0.7]
    scene = [
        kinejac.Sphere(0.1, [0.0, 0.0, 0.7], name="ball"),
        kinejac.Box([0.5, 0.5, 0.02], np.eye(4), name="table"),
        kinejac.Capsule(0.03, 0.2, T),
        kinejac.Cylinder(0.03, 0.2, T),
        kinejac.PointCloud([[0.5, 0.0, 0.5]], 0.01),
        kinejac.Mesh(mesh, T),
    ]
    folded = robot.from_dict(
        {"panda_joint2": 1.7, "panda_joint4": -3.0, "panda_joint6": 3.7}, robot.clip(robot.neutral())
    )
    stretched = robot.from_dict({"panda_joint4": -0.07, "panda_joint6": 1.57}, robot.clip(robot.neutral()))
    with Viewer(robot, quiet=True) as v:
        v.show_collision_geometry()
        m = v.show_spheres()
        assert len(m.sphere_radius) > robot.collision_model.ngeoms
        names = v.show_obstacles(scene)
        assert names == ["ball", "table", "capsule_2", "cylinder_3", "point_cloud_4", "mesh_5"]
        pairs = v.show_collisions(folded)
        assert pairs == kinejac.collisions(robot, folded) and pairs
        red = {e.link for e in v._elements if v._drawn_state.get(e.name) == "collision"}
        assert red == {name for pair in pairs for name in pair}
        pairs = v.show_collisions(stretched, scene)
        assert any(b == "ball" for _, b in pairs) and ("panda_link0", "table") in pairs
        red = {e.link for e in v._elements if v._drawn_state.get(e.name) == "collision"}
        assert red == {a for a, _ in pairs} and "panda_link0" in red
        v.delete("spheres")
        v.delete("collision")
        v.show(folded)  # moving without the markers works


def test_every_ik_solution_at_once(viewer, ur5):
    q = np.array([0.3, -1.1, 1.4, -0.9, 0.8, 0.2])
    sols = kinejac.solve_ik_all(ur5, kinejac.pose(ur5, q, "tool0"), "tool0")
    rgb = viewer.show_solutions(sols.q)
    assert rgb.shape == (len(sols), 3) and len(sols) == 8
    np.testing.assert_allclose(rgb[[0, -1]], VIRIDIS[[0, -1]])
    assert viewer.show_solutions(q).shape == (1, 3)  # one configuration: one copy
    with pytest.raises(ShapeError):
        viewer.show_solutions(np.zeros((2, 5)))
    with pytest.raises(InvalidValueError, match="opacity"):
        viewer.show_solutions(sols.q, opacity=0.0)
    viewer.delete("solutions")
