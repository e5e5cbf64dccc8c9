"""App-side controllers: the glue between the widgets and core (workers, state machines, no Qt widgets)."""
