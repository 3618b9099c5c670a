"""wattplan: simulations."""
