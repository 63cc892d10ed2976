"""A reachability map as data: look-ups, inverse reachability, files and pictures.

Build one with :func:`kinejac.reachability` (:mod:`kinejac.reachability.build`); read one with
:meth:`ReachabilityMap.load`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pinocchio as pin

from .._checks import as_real_array, check_memory
from ..errors import InvalidChoiceError, KinejacError, ShapeError
from ..spatial import check_points, check_transforms
from ..urdf import RobotSource
from .files import FORMAT, KIND, read_map_file
from .inverse import inverse_reachability

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["FORMAT", "ReachabilityMap"]

_AXES = {"x": 0, "y": 1, "z": 2}


@dataclass(frozen=True, eq=False)
class ReachabilityMap:
    """A reachability map; build one with :func:`reachability` or read one with :meth:`load`.

    Attributes:
        centres: ``(N, 3)`` [m] voxel centres in world coordinates, in lattice order (x slowest).
        reached: ``(N, M)`` bool, orientation ``m`` reached at voxel ``n`` (``M = 1`` for position maps).
        index: ``(N,)`` reachability index, the fraction of the orientations reached (``NaN`` where
            the run was interrupted before the voxel was computed).
        manipulability: ``(N,)`` the best measure over the reached orientations (``NaN`` where none).
        configurations: ``(N, nq)`` the configuration of that best solution (``NaN`` where none).
        orientations: ``(M, 3, 3)`` the orientations tried, or ``None`` for a position map.
        computed: ``(N,)`` bool, the voxel's chunk finished.
        resolution [m], bounds ``(2, 3)`` [m], lattice_origin ``(3,)`` int (``k`` of the first voxel),
        shape ``(3,)`` voxels per axis; reach_centre ``(3,)`` [m], reach_radius [m]: the sphere the
        frame cannot leave; robot, frame, source (a :class:`~kinejac.urdf.RobotSource` or None),
        measure, part, length_scale, seed, chunk, ik_options: how it was made; complete: every chunk finished.
    """

    centres: np.ndarray
    reached: np.ndarray
    manipulability: np.ndarray
    configurations: np.ndarray
    orientations: np.ndarray | None
    computed: np.ndarray
    resolution: float
    bounds: np.ndarray
    lattice_origin: np.ndarray
    shape: np.ndarray
    reach_centre: np.ndarray
    reach_radius: float
    robot: str
    frame: str
    source: RobotSource | None
    measure: str
    part: str | list
    length_scale: float
    seed: int
    chunk: int
    ik_options: dict = field(default_factory=dict)
    complete: bool = True

    # -- derived ---------------------------------------------------------------------------------
    @property
    def index(self) -> np.ndarray:
        out = self.reached.mean(axis=1)
        out[~self.computed] = np.nan
        return out

    @property
    def position_only(self) -> bool:
        return self.orientations is None

    def __len__(self) -> int:
        return self.centres.shape[0]

    def __repr__(self) -> str:
        what = "positions" if self.orientations is None else f"{len(self.orientations)} orientations"
        state = "" if self.complete else f", interrupted: {int(self.computed.sum())} of {len(self)} voxels computed"
        reach = np.nanmean(self.index > 0) if len(self) else 0.0
        return (
            f"ReachabilityMap({self.robot!r}, frame={self.frame!r}, resolution={self.resolution:g} m, "
            f"voxels={len(self)} {tuple(int(s) for s in self.shape)}, {what}, reachable={100 * reach:.1f}%{state})"
        )

    def load_robot(self) -> Robot:
        """Rebuild the robot the map was made for from its stored URDF text and load options."""
        if self.source is None:
            raise KinejacError(
                f"map of robot {self.robot!r} has no stored URDF (the robot was built from a pinocchio Model)"
            )
        return self.source.load()

    def as_points(self) -> tuple[np.ndarray, np.ndarray]:
        """(centres ``(K, 3)``, index ``(K,)``) of the voxels with a reachability index > 0 (for
        ``Viewer.show_points(map)``)."""
        keep = self.computed & self.reached.any(axis=1)
        return self.centres[keep], self.index[keep]

    # -- look-ups --------------------------------------------------------------------------------
    def voxel_of(self, points) -> np.ndarray:
        """Voxel numbers ``(N,)`` of points ``(N, 3)`` [m] (``-1`` outside the map)."""
        P = check_points(points, "points", None).reshape(-1, 3)
        k = np.floor(P / self.resolution + 0.5).astype(np.int64) - self.lattice_origin
        inside = ((k >= 0) & (k < self.shape)).all(axis=1)
        flat = np.ravel_multi_index(tuple(np.clip(k, 0, self.shape - 1).T), tuple(self.shape))
        return np.where(inside, flat, -1)

    def query(self, pose_or_point) -> float | np.ndarray:
        """The map at points or poses.

        - a point ``(3,)`` or ``(N, 3)`` [m]: the reachability index of its voxel;
        - a pose ``(4, 4)``, ``(N, 4, 4)`` or ``pinocchio.SE3``: 1.0 if the orientation of the map
          closest to the pose's rotation (geodesic angle) was reached in its voxel, else 0.0 (a
          position map looks at the position only).

        Outside the map's voxels: 0.0 beyond the reach sphere, ``NaN`` (unknown) within it; ``NaN``
        also for voxels an interrupted run did not compute. Returns a float for
        one input, an array ``(N,)`` for a batch.
        """
        x = pose_or_point
        if isinstance(x, pin.SE3):
            x = x.homogeneous
        a = as_real_array(x, "pose_or_point")
        M = 1 if self.orientations is None else len(self.orientations)
        if a.shape[-2:] == (4, 4) and a.ndim in (2, 3):
            T = check_transforms(a, "pose_or_point").reshape(-1, 4, 4)
            check_memory(len(T) * (8.0 * M + 64.0), f"querying {len(T)} poses", "query fewer poses at once")
            values = self.lookup(T[:, :3, 3], T[:, :3, :3])
        elif a.shape[-1:] == (3,) and a.ndim in (1, 2):
            values = self.lookup(check_points(a, "pose_or_point", None).reshape(-1, 3), None)
        else:
            raise ShapeError(f"expected a point (3,) or (N, 3), or a pose (4, 4) or (N, 4, 4), got {a.shape}")
        return float(values[0]) if a.shape in ((3,), (4, 4)) else values

    def lookup(self, P: np.ndarray, R: np.ndarray | None) -> np.ndarray:
        """The map at points ``P (N, 3)`` [m] with rotations ``R (N, 3, 3)`` (``None``: any
        orientation), as :meth:`query` returns it, without validating the input."""
        vox = self.voxel_of(P)
        inside = vox >= 0
        # outside the voxels: unreachable beyond the reach sphere, unknown within it
        beyond = np.linalg.norm(P - self.reach_centre, axis=1) > self.reach_radius + 1e-9 * max(1.0, self.reach_radius)
        out = np.where(beyond, 0.0, np.nan)
        v = vox[inside]
        if R is None or self.orientations is None:
            vals = self.reached[v].mean(axis=1)
        else:
            # the closest orientation maximises trace(R_m^T R)
            m = np.argmax(np.einsum("mij,nij->nm", self.orientations, R[inside]), axis=1)
            vals = self.reached[v, m].astype(float)
        vals[~self.computed[v]] = np.nan
        out[inside] = vals
        return out

    #: base positions from which a target is reachable (inverse reachability, for base placement):
    #: ``m.inverse(target, z=0.0, yaws=8, resolution=None, extent=None)``, see
    #: :func:`kinejac.reachability.inverse.inverse_reachability`
    inverse = inverse_reachability

    # -- persistence -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write to a compressed ``.npz`` (no pickles; the robot's URDF text and load options are
        stored, so :meth:`load_robot` works anywhere); returns the path written."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        src = self.source
        meta = {
            "format": FORMAT,
            "kind": KIND,
            "robot": self.robot,
            "frame": self.frame,
            "source": None
            if src is None
            else {
                "name": src.name,
                "urdf": src.urdf,
                "root_joint": src.root_joint,
                "locked_joints": [[j, list(v)] for j, v in src.locked_joints],
            },
            "resolution": self.resolution,
            "reach_radius": self.reach_radius,
            "measure": self.measure,
            "part": self.part,
            "length_scale": self.length_scale,
            "seed": self.seed,
            "chunk": self.chunk,
            "ik_options": self.ik_options,
            "complete": self.complete,
        }
        arrays: dict[str, Any] = {
            "centres": self.centres,
            "reached": self.reached,
            "manipulability": self.manipulability,
            "configurations": self.configurations,
            "computed": self.computed,
            "bounds": self.bounds,
            "lattice_origin": self.lattice_origin,
            "shape": self.shape,
            "reach_centre": self.reach_centre,
        }
        if self.orientations is not None:
            arrays["orientations"] = self.orientations
        np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> ReachabilityMap:
        """Read a file written by :meth:`save`. Everything is checked first
        (:func:`~kinejac.reachability.files.read_map_file`): a missing, truncated, corrupted, foreign
        or inconsistent file raises :class:`~kinejac.reachability.files.MapFileError` naming the file."""
        meta, arrays, orientations = read_map_file(path)
        s = meta["source"]
        source = None
        if s is not None:
            locked = tuple((j, tuple(float(x) for x in v)) for j, v in s["locked_joints"])
            source = RobotSource(name=s["name"], urdf=s["urdf"], root_joint=s["root_joint"], locked_joints=locked)
        return cls(
            centres=arrays["centres"].astype(float),
            reached=arrays["reached"].astype(bool),
            manipulability=arrays["manipulability"].astype(float),
            configurations=arrays["configurations"].astype(float),
            orientations=None if orientations is None else orientations.astype(float),
            computed=arrays["computed"].astype(bool),
            resolution=meta["resolution"],
            bounds=arrays["bounds"].astype(float),
            lattice_origin=arrays["lattice_origin"].astype(np.int64),
            shape=arrays["shape"].astype(np.int64),
            reach_centre=arrays["reach_centre"].astype(float),
            reach_radius=meta["reach_radius"],
            robot=meta["robot"],
            frame=meta["frame"],
            source=source,
            measure=meta["measure"],
            part=meta["part"],
            length_scale=meta["length_scale"],
            seed=meta["seed"],
            chunk=meta["chunk"],
            ik_options=dict(meta["ik_options"]),
            complete=meta["complete"],
        )

    # -- pictures --------------------------------------------------------------------------------
    def plot_png(
        self, path: str | Path, *, slice: tuple[str, float] | str = "z", cmap: str = "viridis", dpi: int = 150
    ) -> Path:
        """Draw one layer of voxels coloured by reachability index into a PNG; returns the path.

        ``slice``: ``(axis, value)`` with axis ``"x"``, ``"y"`` or ``"z"`` and value [m] (the layer
        closest to it), or an axis alone for the layer through the reach centre. Voxels an
        interrupted run did not compute are left blank. Needs matplotlib (``pip install kinejac[plot]``).
        """
        axis, value = (slice, None) if isinstance(slice, str) else tuple(slice)
        if axis not in _AXES:
            raise InvalidChoiceError("slice axis", axis, tuple(_AXES))
        c = _AXES[axis]
        value = float(self.reach_centre[c] if value is None else as_real_array(value, "slice value"))
        layer = int(np.clip(np.floor(value / self.resolution + 0.5) - self.lattice_origin[c], 0, self.shape[c] - 1))
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise KinejacError("ReachabilityMap.plot_png needs matplotlib: pip install kinejac[plot]") from exc
        a, b = [i for i in range(3) if i != c]
        grid = np.moveaxis(self.index.reshape(tuple(self.shape)), c, 0)[layer]  # (shape[a], shape[b])
        res = self.resolution
        lo = (self.lattice_origin - 0.5) * res
        hi = (self.lattice_origin + self.shape - 0.5) * res
        fig = Figure(figsize=(6.4, 5.6))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        im = ax.imshow(
            np.ma.masked_invalid(grid.T), origin="lower", extent=(lo[a], hi[a], lo[b], hi[b]), vmin=0.0, vmax=1.0,
            cmap=cmap, interpolation="nearest",
        )  # fmt: skip
        fig.colorbar(im, ax=ax, label="reachability index (fraction of orientations reached)")
        ax.set_xlabel(f"{'xyz'[a]} [m]")
        ax.set_ylabel(f"{'xyz'[b]} [m]")
        at = (self.lattice_origin[c] + layer) * res
        what = "positions" if self.orientations is None else f"{len(self.orientations)} orientations"
        ax.set_title(f"{self.robot} {self.frame}: {'xyz'[c]} = {at:.3f} m, {res:g} m voxels, {what}", fontsize=9)
        path = Path(path)
        fig.savefig(path, dpi=dpi, format="png")
        return path
