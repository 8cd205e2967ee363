"""Built-in rules, one module per rule. The registry (meshlint.registry) lists them."""
