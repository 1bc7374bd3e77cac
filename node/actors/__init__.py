"""Actors: this node's own (groups, people, the instance), those elsewhere (fetched and cached),
their keys, and the node's pinned identity."""
