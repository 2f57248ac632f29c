"""scalectl provider: tencent."""
