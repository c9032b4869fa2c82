"""Internals of the zio pytest plugin (:mod:`zio.pytest_plugin`); nothing here is public API."""
