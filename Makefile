# Workstation bundle (see packaging/README.md). Run ./run.sh setup first (it makes .venv).
#   make bundle     build dist/smile-vlm-analyzer/ (first-run demo + PyInstaller), print its size and build time
#   make selftest   run the built bundle's --self-test (exit 0: it analysed a demo scan; prints the device)
#   make model      rebuild the shipped default model and its card (resources/models/default; smile-vlm build-model)
PYTHON ?= .venv/bin/python
DIST ?= dist
BUNDLE_ARGS ?=

.PHONY: bundle selftest model

bundle:
	$(PYTHON) packaging/build.py --dist $(DIST) $(BUNDLE_ARGS)

selftest:
	$(DIST)/smile-vlm-analyzer/smile-vlm-analyzer --self-test

model:
	$(PYTHON) -m core build-model --work build-model-work
