"""python -m usagecodec: the command line."""

from usagecodec._cli import main

raise SystemExit(main())
