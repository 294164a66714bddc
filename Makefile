# The two commands of the README, and a few for development.
.PHONY: run test lint

run:  ## install, migrate, load demo data and run API, worker and beat on embedded defaults
	scripts/run.sh

test:  ## install, start the test services, run the checks and the whole test suite
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports && .venv/bin/yamllint -c .yamllint.yaml .
