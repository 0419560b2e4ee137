"""Reports for people and tools: JSON (a versioned contract), terminal text, an HTML page."""
