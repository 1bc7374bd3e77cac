"""Moderation policy: who may act where, group rules, report categories and Flag reading, bans
and the mod log's actions. Pure decisions over plain values; never speaks HTTP or SQL."""
