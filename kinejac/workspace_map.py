"""Moved: workspace sampling lives in :mod:`kinejac.analysis.workspace_map`. This module re-exports
its public names, so that ``kinejac.workspace_map`` keeps working; new code imports from
``kinejac`` or ``kinejac.analysis``.
"""

from .analysis.workspace_map import Workspace, workspace

__all__ = ["Workspace", "workspace"]
