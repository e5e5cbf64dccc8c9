"""``python -m app [PATH]``: start the SMILE-VLM Analyzer window (see app.main)."""

import sys

from app.main import main

sys.exit(main())
