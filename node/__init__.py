"""The Cove application: configuration, store, domain services, HTTP, CLI, workers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cove")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
