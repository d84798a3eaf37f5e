from modelgen.console import main

main()
