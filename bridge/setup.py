"""The bridge's optional C accelerator (``autogen_ops_bridge._speedups``); everything else is in pyproject.toml.

``optional=True``: where no C compiler or Python headers are at hand the build warns and goes on, and the
bridge runs the same functions in Python (``error_capture``), slower under an error storm.
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("autogen_ops_bridge._speedups", ["src/autogen_ops_bridge/_speedups.c"], optional=True),
])
