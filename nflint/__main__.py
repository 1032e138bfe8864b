from nflint.cli import entry

entry()
