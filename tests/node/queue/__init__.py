"""Tests of node/queue: deliveries, the apply loop, workers, the scheduler and crash durability."""
