"""The order board: table model, lane/search filter and the widget around them."""
