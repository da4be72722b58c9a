import sys

from dcsll.cli import main

sys.exit(main())
