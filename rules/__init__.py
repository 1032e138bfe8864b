"""nflint's built-in rules (installed as nflint.rules); each registers through the
`nflint.rules` entry-point group, exactly as third-party plugins do."""
