"""`scalectl sim serve`: the sim world exposed through a real cloud's wire protocol."""
