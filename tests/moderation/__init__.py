"""Tests of moderation/: policy decisions over plain values."""
