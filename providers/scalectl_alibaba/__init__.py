"""scalectl provider: alibaba."""
