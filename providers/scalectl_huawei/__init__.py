"""scalectl provider: huawei."""
