import sys

from animegan.cli.main import main

sys.exit(main())
