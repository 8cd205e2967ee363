"""Built-in rules: one module per rule (or per checker that reports several codes). The registry (meshlint.registry) finds them by listing this package; _index.py is generated from them."""
