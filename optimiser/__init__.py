"""wattplan: optimiser."""
