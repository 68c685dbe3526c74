"""Back ends: Keras model at run time, Python source, diagrams, docs."""
