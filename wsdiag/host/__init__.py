"""This machine: OS-specific paths and settings, read at the edge, parsed purely.

Entry points (each never raises; what the OS withholds is unknown):

- ``facts.gather_host_facts(destinations, deadline) -> interfaces.HostFacts``: interfaces
  and the route (local address, interface, tunnel or not, MTU) each destination IP takes.
- ``mtu.set_dont_fragment(sock)`` and ``mtu.learned_mtu(sock)`` for the QUIC probe's own
  socket; ``mtu.fits_quic(mtu)``.
- ``pac.discover_sources(explicit) -> list[pac.PacSource]`` and
  ``pac_eval.evaluate_pac(sources, hosts, deadline) -> pac.PacResult``.
- ``client.client_session(endpoint_addrs, proxy) -> client.ClientSession``.
- ``proxy`` (the static HTTPS proxy) and ``platform`` (client log directories).

OS-only reads live in ``system``; everything else here is pure or uses psutil/sockets.
"""
