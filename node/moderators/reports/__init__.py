"""Reports: received as Flag from any server, filed by members here (for this node, or sent as
Flag elsewhere), and decided, with the outcome told to whoever reported."""
