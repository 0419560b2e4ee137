"""Fleet tools: many collected reports in, one table out (`wsdiag summarize`)."""
