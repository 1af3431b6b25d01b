// Package browsertest runs Debian's Chromium headless for tests, through
// chromedp: one browser process per test, a fresh profile in the test's temp
// dir, and helpers for screenshots and for the page's JavaScript errors.
//
// The binary is $CIVIBOT_CHROMIUM, then /usr/bin/chromium, then chromium
// on PATH. `make test` installs it when it is missing. A test that needs a
// browser fails when there is none, unless CIVIBOT_SKIP_BROWSER=1 is set
// (then it is skipped).
//
// Screenshots go to the directory named by CIVIBOT_SCREENSHOTS, or to the
// test's temp dir.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium owned by a test.
type Browser struct {
	t     testing.TB
	alloc context.Context
	first context.Context // the first tab: it owns the browser process
	shots string

	mu     sync.Mutex
	errors []string // JavaScript exceptions and console errors, all tabs
}

// Options adjust the browser.
type Options struct {
	// Lang is the browser's UI language (navigator.language), e.g. "de-DE".
	// Default "de-DE".
	Lang string
	// Width and Height of the window (default 1280×800).
	Width, Height int
}

// Start starts Chromium and stops it when the test ends.
func Start(t testing.TB, o Options) *Browser {
	t.Helper()
	bin, err := binary()
	if err != nil {
		if os.Getenv("CIVIBOT_SKIP_BROWSER") == "1" {
			t.Skipf("browsertest: %v (CIVIBOT_SKIP_BROWSER=1)", err)
		}
		t.Fatalf("browsertest: %v (install it: apt-get install chromium, or run `make test`; CIVIBOT_SKIP_BROWSER=1 skips browser tests)", err)
	}
	if o.Lang == "" {
		o.Lang = "de-DE"
	}
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = 1280, 800
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Without these Chromium calls home (updates, sync, QUIC probes),
		// which floods a closed network and slows every start.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", o.Lang),
		chromedp.Flag("accept-lang", o.Lang),
		chromedp.Env("LANGUAGE=" + strings.ReplaceAll(o.Lang, "-", "_")),
		chromedp.WindowSize(o.Width, o.Height),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	first, cancelFirst := chromedp.NewContext(alloc)
	b := &Browser{t: t, alloc: alloc, first: first, shots: screenshotDir(t)}
	t.Cleanup(func() {
		cancelFirst()
		cancelAlloc()
	})
	if err := chromedp.Do(first); err != nil {
		t.Fatalf("browsertest: start %s: %v", bin, err)
	}
	b.watch(first)
	return b
}

// Tab opens a new tab; it closes when the test ends. Actions on it should
// use a context with a timeout derived from it.
func (b *Browser) Tab(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.first)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: new tab: %v", err)
	}
	b.watch(ctx)
	return ctx
}

// First is the browser's first tab.
func (b *Browser) First() context.Context { return b.first }

// watch records JavaScript exceptions and console errors of a tab.
func (b *Browser) watch(ctx context.Context) {
	_ = chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil && e.ExceptionDetails.Exception.Description != "" {
				msg += ": " + e.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range e.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else if a.Description != "" {
					parts = append(parts, a.Description)
				}
			}
			msg = "console.error: " + strings.Join(parts, " ")
		default:
			return
		}
		b.mu.Lock()
		b.errors = append(b.errors, msg)
		b.mu.Unlock()
	})
}

// Errors returns the JavaScript exceptions and console errors seen so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// ScreenshotDir is where screenshots go.
func (b *Browser) ScreenshotDir() string { return b.shots }

// Screenshot saves the tab's viewport as <name>.png in the screenshot
// directory and returns the file's path.
func (b *Browser) Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	// Let layout and paint catch up with the last DOM change.
	_, _ = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](
		`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r())))`, chromedp.EvalAwaitPromise))
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

func screenshotDir(t testing.TB) string {
	if d := os.Getenv("CIVIBOT_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("browsertest: CIVIBOT_SCREENSHOTS: %v", err)
		}
		abs, err := filepath.Abs(d)
		if err == nil {
			return abs
		}
		return d
	}
	return t.TempDir()
}

func binary() (string, error) {
	if b := os.Getenv("CIVIBOT_CHROMIUM"); b != "" {
		if _, err := os.Stat(b); err != nil {
			return "", fmt.Errorf("CIVIBOT_CHROMIUM=%s: %w", b, err)
		}
		return b, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	if b, err := exec.LookPath("chromium"); err == nil {
		return b, nil
	}
	return "", errors.New("chromium not found")
}
