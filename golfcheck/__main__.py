import sys

from golfcheck.cli import main

sys.exit(main())
