"""The drawing half of the viewer: the robot, collision geometry, frames, markers and the camera.

The scene is a tree addressed by path; everything kinejac draws sits under ``/meshcat/kinejac``:
``robot/<link>/<visual>``, ``frames/<frame>``, ``targets/<name>``, ``ellipsoids/<name>``,
``paths/<name>``, ``points/<name>``, ``obstacles/<name>``, ``collision/<geometry>`` (the collision
geometry), ``spheres/<index>`` (the fitted sphere model), ``solutions/<index>/<link>/<visual>``
(see-through copies of the robot: every IK solution of a target).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pinocchio as pin

from ..errors import InvalidValueError, KinejacError, ShapeError
from ..spatial import as_transform, orthonormality_error
from ._style import (
    COLLISION_RGBA,
    RED_GREEN,
    TINT_RGBA,
    VIRIDIS,
    Y_TO_Z,
    check_points,
    colormap,
    hex_color,
    parse_color,
    safe_name,
)
from ._visuals import DEFAULT_RGBA, VisualElement

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["RobotScene"]


class RobotScene:
    """The drawing half of :class:`~kinejac.viewer.Viewer`: the robot, its collision geometry, frames,
    markers and the camera, under ``/meshcat/kinejac`` (the module doc lists the paths).

    Not made on its own: :class:`~kinejac.viewer.Viewer` connects to the server and sets the
    attributes below in its ``__init__``; it adds the server's lifetime, animations and pictures.
    """

    robot: Robot
    q: np.ndarray
    tint_margin: float
    _mc: Any  # the meshcat package
    _vis: Any  # meshcat.Visualizer
    _root: Any  # its "kinejac" node
    _finalizer: weakref.finalize
    _elements: list[VisualElement]
    _link_frames: dict[str, int]
    _geometries: dict[str, Any]
    _tinted: set[str]
    _colliding: set[str]
    _drawn_state: dict[str, str | None]
    _collision_shown: bool
    _spheres_shown: Any  # the SphereModel drawn by show_spheres, or None
    _shown_frames: dict[str, tuple[int, float]]

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def _node(self, path: str):
        if self.closed:
            raise KinejacError("the viewer is closed")
        return self._root[path]

    # -- the robot -------------------------------------------------------------------------------
    def _geometry(self, e: VisualElement):
        g = self._mc.geometry
        if e.shape == "box":
            return g.Box(list(e.size))
        if e.shape == "cylinder":
            return g.Cylinder(e.size[1], e.size[0])
        if e.shape == "sphere":
            return g.Sphere(e.size[0])
        if e.mesh_path is None:  # visual_elements() gives every mesh its file
            raise KinejacError(f"visual {e.name!r} of link {e.link!r} has no mesh file")
        suffix = e.mesh_path.suffix.lower()
        loader = {".dae": g.DaeMeshGeometry, ".stl": g.StlMeshGeometry, ".obj": g.ObjMeshGeometry}[suffix]
        return loader.from_file(str(e.mesh_path))

    def _draw_element(self, e: VisualElement, tinted: bool | str) -> None:
        rgba = COLLISION_RGBA if tinted == "collision" else TINT_RGBA if tinted else (e.rgba or DEFAULT_RGBA)
        material = self._mc.geometry.MeshLambertMaterial(color=hex_color(rgba), opacity=float(rgba[3]))
        node = self._node(f"robot/{safe_name(e.link)}/{e.name}")
        node.set_object(self._geometries[e.name], material)
        node.set_transform(self._visual_transform(e))

    @staticmethod
    def _visual_transform(e: VisualElement) -> np.ndarray:
        """``T_link_visual`` as meshcat draws it (cylinders along y, meshes scaled)."""
        T = e.T_link_visual.copy()
        if e.shape == "cylinder":  # three.js cylinders run along y, URDF ones along z
            T[:3, :3] = T[:3, :3] @ np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
        elif e.shape == "mesh":
            T[:3, :3] = T[:3, :3] * np.asarray(e.size)
        return T

    def show_solutions(self, Q, *, opacity: float = 0.35) -> np.ndarray:
        """Draw every configuration of ``Q`` ``(k, nq)`` at once as see-through copies of the robot,
        coloured along viridis in order (e.g. the solutions of :func:`kinejac.solve_ik_all`, nearest
        first); the copies drawn before are removed. Returns their RGB colours ``(k, 3)``."""
        Q = self.robot.check_q(Q, "solutions")
        Q = Q.reshape(-1, self.robot.nq)
        if not 0.0 < float(opacity) <= 1.0:
            raise InvalidValueError(f"opacity must be in (0, 1], got {opacity!r}")
        self._node("solutions").delete()
        rgb = colormap(VIRIDIS, np.linspace(0.0, 1.0, len(Q)) if len(Q) > 1 else np.zeros(len(Q)))
        for i, q in enumerate(Q):
            material = self._mc.geometry.MeshLambertMaterial(
                color=hex_color(rgb[i]), opacity=float(opacity), transparent=True
            )
            for e in self._elements:
                node = self._node(f"solutions/{i}/{safe_name(e.link)}/{e.name}")
                node.set_object(self._geometries[e.name], material)
                node.set_transform(self._visual_transform(e))
            poses = self._link_poses(q)
            for link in self._link_frames:
                self._node(f"solutions/{i}/{safe_name(link)}").set_transform(poses[link])
        return rgb

    def _link_poses(self, q: np.ndarray) -> dict[str, np.ndarray]:
        model, data = self.robot.model, self.robot.data
        pin.framesForwardKinematics(model, data, q)
        names = {**self._link_frames, **{k: v[0] for k, v in self._shown_frames.items()}}
        return {name: data.oMf[fid].homogeneous for name, fid in names.items()}

    def show(self, q) -> None:
        """Draw the robot at configuration ``q`` ``(nq,)``, moving the frames of :meth:`show_frames`;
        links of joints within ``tint_margin`` of a limit are tinted."""
        q = self.robot.check_q(q)
        if q.ndim != 1:
            raise ShapeError(f"show takes one configuration of shape ({self.robot.nq},), got {q.shape}")
        poses = self._link_poses(q)
        for link in self._link_frames:
            self._node(f"robot/{safe_name(link)}").set_transform(poses[link])
        for name in self._shown_frames:
            self._node(f"frames/{safe_name(name)}").set_transform(poses[name])
        self._move_collision_markers()
        self._update_tint(q)
        self.q = q.copy()

    def links_near_limits(self, q) -> set[str]:
        """The URDF links moved directly by a joint within ``tint_margin`` of its range from a limit."""
        q = self.robot.check_q(q)
        near_joints = set()
        if self.tint_margin > 0:
            for jid, j in enumerate(self.robot.joints, start=1):
                if j.kind not in ("revolute", "prismatic"):
                    continue
                lo, hi = self.robot.lower[j.idx_q], self.robot.upper[j.idx_q]
                if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
                    continue
                if min(q[j.idx_q] - lo, hi - q[j.idx_q]) <= self.tint_margin * (hi - lo):
                    near_joints.add(jid)
        return {
            link for link, fid in self._link_frames.items() if self.robot.model.frames[fid].parentJoint in near_joints
        }

    def _update_tint(self, q: np.ndarray) -> None:
        tinted = self.links_near_limits(q)
        for e in self._elements:
            state = "collision" if e.link in self._colliding else "limit" if e.link in tinted else None
            if self._drawn_state.get(e.name) != state:
                self._draw_element(e, tinted=state or False)
                self._drawn_state[e.name] = state
        self._tinted = tinted

    # -- collisions ------------------------------------------------------------------------------
    def _move_collision_markers(self) -> None:
        """Place the collision geometry and spheres at the robot's pose in ``robot.data`` (after FK)."""
        data = self.robot.data
        if self._collision_shown:
            for g in self.robot.collision_model.geometryObjects:
                self._node(f"collision/{safe_name(g.name)}").set_transform(
                    (data.oMi[g.parentJoint] * g.placement).homogeneous
                )
        if self._spheres_shown is not None:
            m = self._spheres_shown
            for s in range(len(m.sphere_radius)):
                T = np.eye(4)
                T[:3, 3] = data.oMi[int(m.sphere_joint[s])].act(m.sphere_center[s])
                self._node(f"spheres/{s}").set_transform(T)

    def _shape_node(self, node, shape, material) -> None:
        """Draw a coal shape (box, sphere, cylinder, capsule, triangle mesh) under ``node``, in its own frame."""
        import coal

        g = self._mc.geometry
        if isinstance(shape, coal.Box):
            node["shape"].set_object(g.Box((2 * np.asarray(shape.halfSide)).tolist()), material)
        elif isinstance(shape, coal.Sphere):
            node["shape"].set_object(g.Sphere(float(shape.radius)), material)
        elif isinstance(shape, (coal.Cylinder, coal.Capsule)):
            r, hl = float(shape.radius), float(shape.halfLength)
            node["shape"].set_object(g.Cylinder(2 * hl, r), material)
            node["shape"].set_transform(Y_TO_Z)
            if isinstance(shape, coal.Capsule):
                for end, z in (("top", hl), ("bottom", -hl)):
                    node[end].set_object(g.Sphere(r), material)
                    node[end].set_transform(pin.SE3(np.eye(3), np.array([0.0, 0.0, z])).homogeneous)
        elif isinstance(shape, coal.BVHModelBase):
            from ..collision.shapes import mesh_arrays

            V, F = mesh_arrays(shape)
            node["shape"].set_object(g.TriangularMeshGeometry(V, F), material)
        else:
            raise KinejacError(f"cannot draw a {type(shape).__name__}")

    def show_collision_geometry(self, *, color=0x3399FF, opacity: float = 0.35) -> None:
        """Draw the robot's collision geometry (``robot.collision_model``) over its visuals; it
        follows the robot in :meth:`show`. ``delete("collision")`` removes it."""
        rgb, _ = parse_color(color, "color")
        material = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=float(opacity), transparent=True)
        for g in self.robot.collision_model.geometryObjects:
            self._shape_node(self._node(f"collision/{safe_name(g.name)}"), g.geometry, material)
        self._collision_shown = True
        self.show(self.q)

    def show_spheres(self, spheres=None, *, color=0xFFAA00, opacity: float = 0.3):
        """Draw the fitted sphere model (default :func:`kinejac.collision.spheres.sphere_model`);
        the spheres follow the robot in :meth:`show`. Returns the ``SphereModel`` drawn."""
        from ..collision.spheres import sphere_model

        m = sphere_model(self.robot) if spheres is None else spheres
        rgb, _ = parse_color(color, "color")
        material = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=float(opacity), transparent=True)
        self._node("spheres").delete()
        for s, r in enumerate(m.sphere_radius):
            self._node(f"spheres/{s}").set_object(self._mc.geometry.Sphere(float(r)), material)
        self._spheres_shown = m
        self.show(self.q)
        return m

    def show_obstacles(self, obstacles, *, color=0x888888, opacity: float = 0.6) -> list[str]:
        """Draw a scene (obstacles or a JSON file) under ``obstacles/<name>``, replacing the one drawn
        before; returns the obstacle names."""
        from ..collision.obstacles import PointCloud, as_scene, coal_geometry, obstacle_names

        scene = as_scene(obstacles)
        names = obstacle_names(scene)
        rgb, _ = parse_color(color, "color")
        material = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=float(opacity), transparent=True)
        self._node("obstacles").delete()
        for name, o in zip(names, scene):
            node = self._node(f"obstacles/{safe_name(name)}")
            if isinstance(o, PointCloud):
                cloud = self._mc.geometry.PointCloud(
                    o.points.T.astype(np.float32),
                    np.tile(np.array([rgb >> 16, (rgb >> 8) & 255, rgb & 255]) / 255.0, (len(o.points), 1)).T.astype(
                        np.float32
                    ),
                    size=max(2 * o.radius, 0.005),
                )
                node.set_object(cloud)
                continue
            for k, (shape, placement) in enumerate(coal_geometry(o)):
                self._shape_node(node[str(k)], shape, material)
                node[str(k)].set_transform(placement.homogeneous)
        return names

    def show_collisions(self, q, obstacles=()) -> list[tuple[str, str]]:
        """Draw the robot at ``q`` with the links in collision (exact check, :func:`kinejac.collisions`)
        coloured red, and the obstacles; returns the colliding pairs. The next :meth:`show` keeps the
        colours until ``show_collisions`` is called again."""
        from ..collision.checking import collisions
        from ..collision.obstacles import as_scene

        scene = as_scene(obstacles)
        pairs = collisions(self.robot, q, scene)
        links = set(self.robot.frame_names)
        self._colliding = {name for pair in pairs for name in pair if name in links}
        if scene:
            self.show_obstacles(scene)
        self.show(q)
        return pairs

    # -- markers ---------------------------------------------------------------------------------
    def show_frames(self, names: Sequence[str], *, scale: float = 0.1) -> None:
        """Draw coordinate triads (x red, y green, z blue; ``scale`` [m] long) at the named frames,
        replacing those shown before; they follow the robot in :meth:`show` and :meth:`play`."""
        if isinstance(names, str):
            names = [names]
        ids = {name: self.robot.frame_id(name) for name in names}
        for old in set(self._shown_frames) - set(ids):
            self._node(f"frames/{safe_name(old)}").delete()
        for name, fid in ids.items():
            if self._shown_frames.get(name) != (fid, scale):
                self._node(f"frames/{safe_name(name)}").set_object(self._mc.geometry.triad(scale))
        self._shown_frames = {name: (fid, scale) for name, fid in ids.items()}
        self.show(self.q)

    def show_target(self, T_world_target, name: str = "target", *, scale: float = 0.1, color=0xFF3366) -> None:
        """Draw a target pose ``(4, 4)`` (or ``pin.SE3``): a triad ``scale`` [m] long and a ball."""
        T = as_transform(T_world_target, "T_world_target")
        rgb, opacity = parse_color(color, "color")
        node = self._node(f"targets/{safe_name(name)}")
        node["triad"].set_object(self._mc.geometry.triad(1.5 * scale))
        ball = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=min(opacity, 0.7))
        node["ball"].set_object(self._mc.geometry.Sphere(0.2 * scale), ball)
        node.set_transform(T)

    def show_ellipsoid(
        self,
        ellipsoid=None,
        *,
        q=None,
        frame: str | None = None,
        kind: str = "velocity",
        part: str = "translation",
        center=None,
        axes=None,
        radii=None,
        name: str | None = None,
        scale: float = 1.0,
        max_radius: float = 2.0,
        color=None,
        opacity: float = 0.4,
    ) -> np.ndarray:
        """Draw an ellipsoid; returns its drawn radii ``(3,)`` [m].

        Give one of: ``ellipsoid``, any object with ``center`` ``(3,)``, ``axes`` ``(3, 3)``
        (columns: unit principal axes) and ``radii`` ``(3,)``, such as the result of
        ``kinejac.velocity_ellipsoid``; or ``q`` and ``frame`` (computed with
        ``kinejac.velocity_ellipsoid``/``kinejac.force_ellipsoid`` per ``kind``,
        with ``part``); or ``center``, ``axes`` and ``radii``.

        The radii are multiplied by ``scale`` (velocity radii are [m/s] per unit joint speed, so
        pick ``scale`` [s] to fit the scene) and drawn at most ``max_radius`` [m] long: a force
        ellipsoid's infinite radius (a direction the arm cannot move in) is drawn that long.
        ``color`` (``0xRRGGBB`` or rgb in [0, 1]) defaults to the ellipsoid's isotropy
        ``min(radii) / max(radii)``: red near a singularity, green when round.
        """
        if ellipsoid is None and q is not None:
            if frame is None:
                raise InvalidValueError("show_ellipsoid(q=...) needs frame= too")
            if kind not in ("velocity", "force"):
                from ..errors import InvalidChoiceError

                raise InvalidChoiceError("ellipsoid kind", kind, ["velocity", "force"])
            from ..analysis.ellipsoids import force_ellipsoid, velocity_ellipsoid

            of_kind = velocity_ellipsoid if kind == "velocity" else force_ellipsoid
            ellipsoid = of_kind(self.robot, q, frame, part=part)
            name = name or f"{frame}_{kind}"
        if ellipsoid is not None:
            try:
                center, axes, radii = ellipsoid.center, ellipsoid.axes, ellipsoid.radii
            except AttributeError:
                raise InvalidValueError(
                    f"expected an ellipsoid with center, axes and radii, got {type(ellipsoid).__name__}"
                ) from None
        elif center is None or axes is None or radii is None:
            raise InvalidValueError("show_ellipsoid needs an ellipsoid, q and frame, or center, axes and radii")
        T, drawn, rgb, alpha = _ellipsoid_shape(center, axes, radii, scale, max_radius, color, opacity)
        node = self._node(f"ellipsoids/{safe_name(name or 'ellipsoid')}")
        material = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=float(alpha))
        node["shape"].set_object(self._mc.geometry.Ellipsoid(list(drawn)), material)
        node.set_transform(T)
        return drawn

    def show_path(self, points, *, frame: str | None = None, name: str = "path", color=0xFF8800) -> np.ndarray:
        """Draw a polyline through ``points`` ``(N, 3)`` [m]; with ``frame``, ``points`` is a
        trajectory ``(N, nq)`` and the line follows that frame's origin. Returns the points ``(N, 3)``."""
        if frame is not None:
            from ..kinematics import pose

            traj = self.robot.check_q(points, "trajectory")
            p = pose(self.robot, np.atleast_2d(traj), frame)[:, :3, 3]
        else:
            p = check_points(points, "points")
        if len(p) < 2:
            raise ShapeError(f"a path needs at least 2 points, got {len(p)}")
        rgb, _ = parse_color(color, "color")
        g = self._mc.geometry
        line = g.Line(g.PointsGeometry(p.T.astype(np.float32)), g.LineBasicMaterial(color=rgb))
        self._node(f"paths/{safe_name(name)}").set_object(line)
        return p

    def show_points(self, points, values=None, *, name: str = "points", size: float = 0.02, vmin=None, vmax=None):
        """Draw a point cloud ``(N, 3)`` [m] coloured by ``values`` ``(N,)`` (viridis, from ``vmin``
        (dark blue) to ``vmax`` (yellow); default: their range). ``points`` may also be a workspace
        (an object with ``positions`` and ``manipulability``), or a reachability map or inverse
        reachability (an object whose ``as_points()`` gives points and values: reachable voxels
        coloured by index, base positions by score). Returns the RGB colours ``(N, 3)``."""
        if values is None and hasattr(points, "as_points"):
            points, values = points.as_points()
        elif values is None and hasattr(points, "positions"):
            values = getattr(points, "manipulability", None)
            points = points.positions
        p = check_points(points, "points")
        if values is None:
            rgb = np.tile(VIRIDIS[2], (len(p), 1))
        else:
            v = np.asarray(values, dtype=float).reshape(-1)
            if v.shape != (len(p),):
                raise ShapeError(f"expected values of shape ({len(p)},), got {v.shape}")
            if not np.isfinite(v).all():
                raise InvalidValueError("values contains NaN or inf")
            lo = float(v.min() if vmin is None else vmin)
            hi = float(v.max() if vmax is None else vmax)
            rgb = colormap(VIRIDIS, (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v))
        g = self._mc.geometry
        cloud = g.PointCloud(p.T.astype(np.float32), rgb.T.astype(np.float32), size=float(size))
        self._node(f"points/{safe_name(name)}").set_object(cloud)
        return rgb

    def delete(self, group: str, name: str | None = None) -> None:
        """Remove drawn markers: a whole group (``"targets"``, ``"ellipsoids"``, ``"paths"``,
        ``"points"``, ``"frames"``, ``"solutions"``, ...) or one ``name`` in it."""
        groups = (
            "targets", "ellipsoids", "paths", "points", "frames", "obstacles", "collision", "spheres", "solutions",
        )  # fmt: skip
        if group not in groups:
            from ..errors import InvalidChoiceError

            raise InvalidChoiceError("group", group, groups)
        self._node(group if name is None else f"{group}/{safe_name(name)}").delete()
        if group == "frames":  # the others keep their scale
            self._shown_frames = {} if name is None else {k: v for k, v in self._shown_frames.items() if k != name}
        if group == "collision" and name is None:
            self._collision_shown = False
        if group == "spheres" and name is None:
            self._spheres_shown = None

    # -- camera and pictures ---------------------------------------------------------------------
    def set_camera(self, position) -> None:
        """Place the camera at ``position`` ``(3,)`` [m, world]; it looks at the world origin, about
        which meshcat's mouse controls orbit."""
        p = np.asarray(position, dtype=float).reshape(-1)
        if p.shape != (3,) or not np.isfinite(p).all() or not p.any():
            raise InvalidValueError(f"camera position must be 3 finite numbers, not the origin; got {p.tolist()}")
        # the camera sits in a y-up frame: world (x, y, z) is (x, z, -y) there
        self._vis["/Cameras/default"].set_transform(np.eye(4))
        self._vis["/Cameras/default/rotated/<object>"].set_property("position", [p[0], p[2], -p[1]])

    def _frame_camera(self) -> None:
        """A view from the front-right, above, far enough to see the robot at its neutral pose."""
        origins = np.array([T[:3, 3] for T in self._link_poses(self.q).values()] or [np.zeros(3)])
        reach = max(float(np.linalg.norm(origins, axis=1).max()), 0.3)
        direction = np.array([1.0, 0.7, 0.8]) / np.linalg.norm([1.0, 0.7, 0.8])
        self.set_camera(1.4 * reach * direction)


def _ellipsoid_shape(center, axes, radii, scale: float, max_radius: float, color, opacity: float):
    """Check an ellipsoid given by ``center`` ``(3,)``, ``axes`` ``(3, 3)`` and ``radii`` ``(3,)``;
    returns its pose ``T_world_ellipsoid`` ``(4, 4)``, its drawn radii ``(3,)`` [m], colour and opacity
    (see :meth:`RobotScene.show_ellipsoid`)."""
    c = np.asarray(center, dtype=float).reshape(-1)
    A = np.asarray(axes, dtype=float)
    r = np.asarray(radii, dtype=float).reshape(-1)
    if c.shape != (3,) or A.shape != (3, 3) or r.shape != (3,):
        raise ShapeError(f"expected center (3,), axes (3, 3), radii (3,), got {c.shape}, {A.shape}, {r.shape}")
    if not (np.isfinite(c).all() and np.isfinite(A).all()) or np.isnan(r).any() or (r < 0).any():
        raise InvalidValueError(
            f"ellipsoid needs a finite center and axes and radii >= 0 (inf allowed), got radii {r.tolist()}"
        )
    if orthonormality_error(A) > 1e-6:
        raise InvalidValueError("ellipsoid axes must be orthonormal columns")
    if not (math.isfinite(scale) and scale > 0 and math.isfinite(max_radius) and max_radius > 0):
        raise InvalidValueError(f"scale and max_radius must be > 0, got {scale} and {max_radius}")
    if np.linalg.det(A) < 0:  # a rotation for meshcat; the ellipsoid is the same
        A = A * np.array([1.0, 1.0, -1.0])
    drawn = np.minimum(r * scale, max_radius)
    top = drawn.max()
    drawn = np.maximum(drawn, max(1e-3 * top, 1e-6))  # a flat ellipsoid stays visible, not NaN
    if color is None:
        isotropy = r.min() / r.max() if r.max() > 0 else 0.0
        rgb = hex_color(colormap(RED_GREEN, np.array([isotropy]))[0])
        alpha = opacity
    else:
        rgb, alpha = parse_color(color, "color")
        alpha = min(alpha, opacity)
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = A, c
    return T, drawn, rgb, alpha
