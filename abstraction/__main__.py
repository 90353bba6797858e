from abstraction.cli.main import run

run()
