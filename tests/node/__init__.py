"""Tests of node/, a package per room; the node's own modules (config, outage) at this level."""
