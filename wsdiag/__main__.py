from wsdiag.cli import main

main()
