"""The WorkSpaces client's own logs: finding, streaming, parsing, findings and the logs report."""
