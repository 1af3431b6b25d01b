// Package repotest holds tests of the repository as a whole: the import
// rules between civibot's packages (docs/architecture.md) and the
// deployment files (Dockerfile, docker-compose.yml), which no Docker engine
// checks here. It has no code of its own.
package repotest
