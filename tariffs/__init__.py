"""wattplan: tariffs."""
