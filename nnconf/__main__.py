from nnconf.cli import main

main()
