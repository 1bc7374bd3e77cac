"""Domain services: what an action means for groups, members, posts and the node itself.

Functions take a session (or the Node) and typed values, and return typed values; no HTTP here.
"""
