from azur.cli.main import run

run()
