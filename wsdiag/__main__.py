import os

if os.environ.get("WSDIAG_PAC_CHILD") == "1":
    # The single-file binary started as its own PAC evaluator (wsdiag.host.pac_eval): the
    # variable is set only in that child's environment.
    from wsdiag.host.pac_eval import child_main

    child_main()
else:
    from wsdiag.cli import main

    main()
