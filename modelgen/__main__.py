from modelgen.cli.main import main

main()
