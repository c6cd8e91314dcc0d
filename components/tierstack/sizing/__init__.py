"""Pure sizing arithmetic: subnet layout and other numbers derived from config."""
