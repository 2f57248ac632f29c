"""scalectl: a terminal console for cloud autoscaling."""

__version__ = "0.1.0"
