"""Crisis care's policy: how urgent a text sounds (acute, concern, none) and why, from lists
anyone can read and edit, per language."""
