"""wattplan: rules."""
