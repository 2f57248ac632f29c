"""scalectl provider: sim."""
