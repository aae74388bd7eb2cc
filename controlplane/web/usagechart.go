package web

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/metering"
)

// The overview draws the cycle's machine hours and model spend per day as two bar charts in
// inline SVG, made here on the server: they read without JavaScript, scale to any width by
// their viewBox, and a table below holds the same figures for screen readers.

// Chart geometry, in viewBox units: the plot sits inside the margins, which hold the axes'
// tick labels and titles.
const (
	chartWidth, chartHeight         = 400, 200
	chartLeft, chartRight           = 56, 8
	chartTop, chartBottom           = 10, 42
	chartPlotWidth, chartPlotHeight = chartWidth - chartLeft - chartRight, chartHeight - chartTop - chartBottom
)

// usageChart is one bar chart of a figure per day.
type usageChart struct {
	ID, Title, Unit string // Unit is the y axis' title
	Summary         string // what a screen reader says of the whole chart
	Width, Height   int
	Left, Top       float64 // the plot's top-left corner
	Right, Bottom   float64 // the plot's bottom-right corner
	// Where the tick labels and the axes' titles go.
	TickX, LabelY, XTitleX, XTitleY, YTitleY float64
	Bars                                     []chartBar
	YTicks, XTicks                           []chartTick
}

// chartBar is one day's bar; Label says its day and figure (its tooltip).
type chartBar struct {
	X, Y, W, H float64
	Label      string
}

// chartTick is a labelled position on an axis.
type chartTick struct {
	At    float64
	Label string
}

// usageDayRow is one day of the figures' table.
type usageDayRow struct {
	Day      time.Time
	Hours    float64
	SpendUSD float64
}

// usageCharts are the overview's per-day charts and their table; nil when nothing was
// counted per day yet.
type usageCharts struct {
	Hours, Spend *usageChart
	Rows         []usageDayRow
}

// newUsageCharts lays out u's days: every day from the first counted to the last, a day
// without figures drawn as zero.
func newUsageCharts(u metering.UsageSummary) *usageCharts {
	if len(u.Days) == 0 {
		return nil
	}
	byDay := map[string]metering.DayUsage{}
	for _, d := range u.Days {
		byDay[d.Day] = d
	}
	first, err1 := time.Parse(time.DateOnly, u.Days[0].Day)
	last, err2 := time.Parse(time.DateOnly, u.Days[len(u.Days)-1].Day)
	if err1 != nil || err2 != nil {
		return nil
	}
	c := &usageCharts{}
	for day := first; !day.After(last) && len(c.Rows) < 62; day = day.AddDate(0, 0, 1) {
		d := byDay[day.Format(time.DateOnly)]
		c.Rows = append(c.Rows, usageDayRow{Day: day, Hours: d.Hours, SpendUSD: d.SpendUSD})
	}
	hours, spend := make([]float64, len(c.Rows)), make([]float64, len(c.Rows))
	for i, r := range c.Rows {
		hours[i], spend[i] = r.Hours, r.SpendUSD
	}
	c.Hours = newUsageChart("hours-chart", "Machine hours per day", "Hours", c.Rows, hours, func(v float64) string {
		return trimZero(fmt.Sprintf("%.1f", v)) + " h"
	})
	c.Spend = newUsageChart("spend-chart", "Model spend per day", "US dollars", c.Rows, spend, func(v float64) string {
		return fmt.Sprintf("$%.2f", v)
	})
	return c
}

func newUsageChart(id, title, unit string, rows []usageDayRow, values []float64, format func(float64) string) *usageChart {
	top := niceCeiling(slices.Max(values))
	ch := &usageChart{ID: id, Title: title, Unit: unit, Width: chartWidth, Height: chartHeight,
		Left: chartLeft, Top: chartTop, Right: chartLeft + chartPlotWidth, Bottom: chartTop + chartPlotHeight,
		TickX: chartLeft - 4, LabelY: chartTop + chartPlotHeight + 14, XTitleX: chartLeft + chartPlotWidth/2, XTitleY: chartHeight - 4,
		YTitleY: chartTop + chartPlotHeight/2}
	slot := float64(chartPlotWidth) / float64(len(rows))
	peak := 0
	for i, v := range values {
		h := float64(chartPlotHeight) * v / top
		ch.Bars = append(ch.Bars, chartBar{X: ch.Left + slot*(float64(i)+0.15), Y: ch.Bottom - h, W: slot * 0.7, H: h,
			Label: rows[i].Day.Format("2 Jan") + ": " + format(v)})
		if v > values[peak] {
			peak = i
		}
	}
	for _, f := range []float64{0, 0.5, 1} {
		ch.YTicks = append(ch.YTicks, chartTick{At: ch.Bottom - float64(chartPlotHeight)*f, Label: format(top * f)})
	}
	// The first and last day, and every seventh between when they do not crowd them.
	for i := range rows {
		if i == 0 || i == len(rows)-1 || (i%7 == 0 && len(rows)-1-i >= 3) {
			ch.XTicks = append(ch.XTicks, chartTick{At: ch.Left + slot*(float64(i)+0.5), Label: rows[i].Day.Format("2 Jan")})
		}
	}
	ch.Summary = fmt.Sprintf("%s, %s to %s: %s in all, the most on %s",
		title, rows[0].Day.Format("2 Jan"), rows[len(rows)-1].Day.Format("2 Jan 2006"), format(sum(values)), ch.Bars[peak].Label)
	return ch
}

// niceCeiling is the axis' top: 1, 2 or 5 times a power of ten, at or above v (1 for nothing).
func niceCeiling(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func sum(vs []float64) float64 {
	s := 0.0
	for _, v := range vs {
		s += v
	}
	return s
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
