"""One module per probe kind (DNS, TCP/TLS, QUIC) and the one map from OS errors to statuses."""
