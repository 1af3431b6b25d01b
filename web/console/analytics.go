package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/civibot/civibot/analytics"
)

// Analytics is what the dashboard needs of *analytics.Reporter.
type Analytics interface {
	// Report summarises the days from..to ("2006-01-02"; empty: the last
	// 30 days). analytics.ErrInvalid for a bad range.
	Report(ctx context.Context, from, to string) (analytics.Report, error)
}

var _ Analytics = (*analytics.Reporter)(nil)

// The dashboard's routes (administrators only):
//
//	GET /console/analytics                    the page (its assets: analytics.js, analytics.css)
//	GET /console/api/analytics?from=&to=      the report (JSON)
//	GET /console/api/analytics/export?table=&from=&to=   one table as CSV
func (h *Handler) analyticsRoutes(m *http.ServeMux) {
	m.Handle("GET /console/api/analytics", h.api(h.analyticsReport, apiOpts{admin: true}))
	m.Handle("GET /console/api/analytics/export", h.api(h.analyticsExport, apiOpts{admin: true}))
}

var errAnalyticsOff = &apiError{status: http.StatusNotFound, code: "analytics_off", msg: "analytics are switched off (analytics.enabled)"}

func (h *Handler) report(r *http.Request) (analytics.Report, error) {
	if h.analytics == nil {
		return analytics.Report{}, errAnalyticsOff
	}
	q := r.URL.Query()
	rep, err := h.analytics.Report(r.Context(), q.Get("from"), q.Get("to"))
	if errors.Is(err, analytics.ErrInvalid) {
		return rep, &apiError{status: http.StatusBadRequest, code: "invalid", msg: strings.TrimPrefix(err.Error(), analytics.ErrInvalid.Error()+": ")}
	}
	return rep, err
}

// analyticsReport answers the dashboard's report.
func (h *Handler) analyticsReport(w http.ResponseWriter, r *http.Request, _ *caller) error {
	rep, err := h.report(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// analyticsExport answers one table of the report as a CSV download. The
// file starts with a UTF-8 byte order mark, so that spreadsheet programs
// show umlauts right.
func (h *Handler) analyticsExport(w http.ResponseWriter, r *http.Request, c *caller) error {
	table := r.URL.Query().Get("table")
	if !slices.Contains(analytics.Tables(), table) {
		return errorf(http.StatusBadRequest, "invalid", "table must be one of %s", strings.Join(analytics.Tables(), ", "))
	}
	rep, err := h.report(r)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="civibot-`+table+`-`+rep.From+`-`+rep.To+`.csv"`)
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return nil // the client went away
	}
	if err := analytics.WriteCSV(w, rep, table); err != nil {
		h.log.WarnContext(r.Context(), "console: analytics export failed", "table", table, "error", err)
	}
	h.log.InfoContext(r.Context(), "console: analytics exported", "table", table, "from", rep.From, "to", rep.To)
	return nil
}
