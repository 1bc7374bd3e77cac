"""Tests of node/domain_policy: blocks, allowlist mode, files, subscriptions, sharing."""
