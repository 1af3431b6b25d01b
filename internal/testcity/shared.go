package testcity

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/civibot/civibot/knowledge"
	"github.com/civibot/civibot/knowledge/importer"
)

// The evaluation data beside the repository (../shared/data: Berlin and
// Hamburg service pages, the Integreat QA set) is third-party and not part
// of civibot; benchmarks and evaluations use it when it is there.

// ErrNoSharedData says the shared data is not on this machine.
var ErrNoSharedData = errors.New("testcity: shared evaluation data not found (set CIVIBOT_DATA)")

// SharedData returns the path of rel under the shared data directory:
// $CIVIBOT_DATA, else ../shared/data beside the module root.
func SharedData(rel string) (string, error) {
	dir := os.Getenv("CIVIBOT_DATA")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "..", "shared", "data")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoSharedData, err)
	}
	return p, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testcity: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Import options of the shared data sets, as docs/benchmarks.md ingests them.
var (
	BerlinOptions  = importer.Options{IDField: "service_id", BodyFields: []string{"description", "voraussetzungen", "unterlagen"}}
	HamburgOptions = importer.Options{IDField: "source_path", BodyFields: []string{"markdown"}}
)

// SharedPages imports a shared data file with opts.
func SharedPages(ctx context.Context, rel string, opts importer.Options) ([]knowledge.Page, error) {
	p, err := SharedData(rel)
	if err != nil {
		return nil, err
	}
	pages, _, err := importer.Import(ctx, []string{p}, opts)
	return pages, err
}

// BerlinPages are the 1,062 Berlin services; prefix goes before every id.
func BerlinPages(ctx context.Context, prefix string) ([]knowledge.Page, error) {
	o := BerlinOptions
	o.IDPrefix = prefix
	return SharedPages(ctx, "berlin/berlin_services.jsonl", o)
}

// HamburgPages are the 613 hamburg.de pages; prefix goes before every id.
func HamburgPages(ctx context.Context, prefix string) ([]knowledge.Page, error) {
	o := HamburgOptions
	o.IDPrefix = prefix
	return SharedPages(ctx, "hamburg/hamburg_service_pages.jsonl", o)
}
