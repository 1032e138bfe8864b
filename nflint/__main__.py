from nflint.cli import main

main()
