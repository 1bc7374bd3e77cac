"""Community groups of this node: creation, membership, rules, what they admit and relay, and the
posts they show (one visible_to)."""
