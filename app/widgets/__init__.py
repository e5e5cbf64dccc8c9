"""The main window's panels: 3D viewer, browser, model views, results, messages, prompt editor, training."""
