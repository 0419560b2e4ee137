"""End-to-end network lab: namespaces, resolvers and servers simulating users' networks."""
