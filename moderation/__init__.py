"""Moderation policy: who may do what in a group, and the admin operations on policy data.

Pure decisions over plain values; never speaks HTTP. Filled in by the moderation issues.
"""
