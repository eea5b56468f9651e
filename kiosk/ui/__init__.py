"""The touchscreen UI: renders a journey ``Session`` with pygame-gui and turns touches into ``UserIntent``s."""
