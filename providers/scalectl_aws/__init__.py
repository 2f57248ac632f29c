"""scalectl provider: aws."""
