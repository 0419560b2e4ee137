"""Reports for people and tools: JSON (a versioned contract) and text."""
