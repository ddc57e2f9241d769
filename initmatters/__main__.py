from initmatters.cli import main

raise SystemExit(main())
