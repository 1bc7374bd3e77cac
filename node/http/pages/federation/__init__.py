"""The admins' federation pages (/admin/federation and below): the domain blocks and allows in
force, blocklist files in and out, subscriptions and their drafts, the federation mode, and
the policy this node shares. Each calls the same domain functions as `cove blocks`."""
