"""wattplan: tests."""
