"""Bundled URDF robot models (data only; installed as ``kinejac.robots``). See README.md."""
