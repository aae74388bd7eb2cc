package metering

import (
	"testing"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func at(h float64) time.Time { return jan1.Add(time.Duration(h * float64(time.Hour))) }

func ev(typ string, h float64) *launchpad.MachineEvent {
	return &launchpad.MachineEvent{Type: typ, Time: at(h)}
}

func TestAdvance(t *testing.T) {
	events := []*launchpad.MachineEvent{
		ev("launch", 0), ev("start", 0), ev("update", 1), ev("stop", 2), ev("exit", 2),
		ev("start", 3), ev("stop", 5), ev("exit", 5), ev("start", 6),
	}
	cases := []struct {
		name        string
		from        clock
		until       float64
		wantSeconds float64
		wantRunning bool
	}{
		{"whole history at once", clock{cursor: at(0)}, 7, 5 * 3600, true},
		{"from a cursor mid-run", clock{cursor: at(1), running: true, seconds: 3600}, 4, 3 * 3600, true},
		{"until before the cursor counts nothing", clock{cursor: at(4), running: true, seconds: 10}, 3, 10, true},
		{"a stop seen late is applied at the cursor, not counted back", clock{cursor: at(5.5), running: true, seconds: 0}, 5.75, 0, false},
		{"a start seen late begins at the cursor", clock{cursor: at(6.5), running: false}, 7, 0.5 * 3600, true},
		{"events after until wait for the next pass", clock{cursor: at(2.5)}, 4, 3600, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.from
			got.advance(events, at(c.until))
			if !approx(got.seconds, c.wantSeconds) || got.running != c.wantRunning {
				t.Fatalf("seconds %v running %v; want %v %v", got.seconds, got.running, c.wantSeconds, c.wantRunning)
			}
		})
	}

	// Advancing in many small passes gives what one pass gives.
	c := clock{cursor: at(0)}
	for h := 0.25; h <= 7; h += 0.25 {
		c.advance(events, at(h))
		c.advance(events, at(h)) // a second replica at the same moment
	}
	if !approx(c.seconds, 5*3600) {
		t.Fatalf("in quarter-hour passes: %v seconds, want %v", c.seconds, 5*3600)
	}
}

// Running time is counted into the UTC day it ran in, a run across midnight split at it, the
// same in many small passes (each twice) as in one, and the days sum to the cycle's seconds.
func TestAdvanceCountsEachDay(t *testing.T) {
	events := []*launchpad.MachineEvent{ev("start", 20), ev("stop", 23), ev("start", 23.5), ev("stop", 50)}
	want := []launchpad.UsageDay{{Day: at(0), MachineSeconds: 3.5 * 3600}, {Day: at(24), MachineSeconds: 24 * 3600}, {Day: at(48), MachineSeconds: 2 * 3600}}
	for _, step := range []float64{60, 0.75} {
		var usage launchpad.Usage
		c := clock{cursor: at(0), perDay: &usage}
		for h := step; h < 60+step; h += step {
			c.advance(events, at(h))
			c.advance(events, at(h))
		}
		if len(usage.Days) != len(want) {
			t.Fatalf("in %v-hour passes: days %+v, want %+v", step, usage.Days, want)
		}
		total := 0.0
		for i, d := range usage.Days {
			total += d.MachineSeconds
			if !d.Day.Equal(want[i].Day) || !approx(d.MachineSeconds, want[i].MachineSeconds) || d.SpendUSD != 0 {
				t.Errorf("in %v-hour passes: day %d is %+v, want %+v", step, i, d, want[i])
			}
		}
		if !approx(total, c.seconds) || !approx(c.seconds, 29.5*3600) {
			t.Errorf("in %v-hour passes: the days hold %v s, the clock %v s; want %v", step, total, c.seconds, 29.5*3600)
		}
	}
}

// Spend is counted from the difference between readings, on the day of the later one; the
// first reading is a baseline, a stale (lower) reading changes nothing, and a new key's usage
// is all new.
func TestRecordSpend(t *testing.T) {
	var u launchpad.Usage
	read := func(hash string, usd, h float64) {
		recordSpend(&u, &launchpad.KeyInfo{Hash: hash, UsageUSD: usd}, at(h))
	}
	read("k1", 2, 1)     // baseline: $2 spent before metering began, day unknown
	read("k1", 2.5, 5)   // $0.50 on Jan 1
	read("k1", 2.25, 6)  // stale reading from a slower replica
	read("k1", 3, 30)    // $0.50 on Jan 2
	read("k1", 3, 31)    // nothing new
	read("k2", 0.25, 32) // rotated: the new key's $0.25, on Jan 2
	want := []launchpad.UsageDay{{Day: at(0), SpendUSD: 0.5}, {Day: at(24), SpendUSD: 0.75}}
	if len(u.Days) != 2 || !u.Days[0].Day.Equal(want[0].Day) || !approx(u.Days[0].SpendUSD, 0.5) ||
		!u.Days[1].Day.Equal(want[1].Day) || !approx(u.Days[1].SpendUSD, 0.75) {
		t.Fatalf("days %+v, want %+v", u.Days, want)
	}
	if u.SpendReadingKey != "k2" || u.SpendReadingUSD != 0.25 {
		t.Fatalf("reading %s $%v, want k2 $0.25", u.SpendReadingKey, u.SpendReadingUSD)
	}
}

func TestCycles(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	sub := func(start, end time.Time) launchpad.Subscription {
		return launchpad.Subscription{CurrentPeriodStart: start, CurrentPeriodEnd: end}
	}
	cases := []struct {
		name string
		got  cycle
		want cycle
	}{
		{"no subscription: calendar month", firstCycle(launchpad.Subscription{}, d(2030, 2, 14)), cycle{d(2030, 2, 1), d(2030, 3, 1)}},
		{"current period", firstCycle(sub(d(2030, 1, 15), d(2030, 2, 15)), d(2030, 2, 1)), cycle{d(2030, 1, 15), d(2030, 2, 15)}},
		{"stale period rolled by months", firstCycle(sub(d(2030, 1, 15), d(2030, 2, 15)), d(2030, 4, 20)), cycle{d(2030, 4, 15), d(2030, 5, 15)}},
		{"month-end anchor keeps its day", rollForward(d(2030, 1, 31), d(2030, 3, 5)), cycle{d(2030, 2, 28), d(2030, 3, 31)}},
		{"next: Stripe's new period", nextCycle(sub(d(2030, 2, 15), d(2030, 3, 15)), d(2030, 2, 15), d(2030, 2, 16)), cycle{d(2030, 2, 15), d(2030, 3, 15)}},
		{"next: no renewal yet", nextCycle(sub(d(2030, 1, 15), d(2030, 2, 15)), d(2030, 2, 15), d(2030, 2, 16)), cycle{d(2030, 2, 15), d(2030, 3, 15)}},
		{"next: calendar", nextCycle(launchpad.Subscription{}, d(2030, 2, 1), d(2030, 2, 1)), cycle{d(2030, 2, 1), d(2030, 3, 1)}},
	}
	for _, c := range cases {
		if !c.got.start.Equal(c.want.start) || !c.got.end.Equal(c.want.end) {
			t.Errorf("%s: %v – %v, want %v – %v", c.name, c.got.start, c.got.end, c.want.start, c.want.end)
		}
	}
}

func TestParseInterval(t *testing.T) {
	for in, want := range map[string]time.Duration{"": DefaultInterval, "30s": 30 * time.Second, " 5m ": 5 * time.Minute} {
		if d, on, err := ParseInterval(in); err != nil || !on || d != want {
			t.Errorf("ParseInterval(%q) = %v, %v, %v", in, d, on, err)
		}
	}
	for _, in := range []string{"off", "0"} {
		if _, on, err := ParseInterval(in); err != nil || on {
			t.Errorf("ParseInterval(%q) should disable metering", in)
		}
	}
	for _, in := range []string{"10ms", "2h", "soon", "-1m"} {
		if _, _, err := ParseInterval(in); launchpad.ErrorCode(err) != launchpad.EINVALID {
			t.Errorf("ParseInterval(%q) err = %v, want EINVALID", in, err)
		}
	}
}

func TestSummary(t *testing.T) {
	limit, remaining := 5.0, 1.25
	u := &launchpad.User{Usage: launchpad.Usage{CycleStart: jan1, CycleEnd: feb1, MachineSeconds: 3.5 * 3600, MeteredUntil: at(40), CappedAt: at(30)}}
	s := Summary(u, &launchpad.Plan{MachineHoursPerCycle: 3}, &launchpad.KeyInfo{UsageUSD: 3.75, LimitUSD: &limit, LimitRemaining: &remaining})
	if s.HoursUsed != 3.5 || s.HoursCap == nil || *s.HoursCap != 3 || !s.Capped || !s.CycleEnd.Equal(feb1) ||
		*s.SpendUSD != 3.75 || *s.SpendLimitUSD != 5 || *s.SpendRemainingUSD != 1.25 || s.SpendExhausted {
		t.Fatalf("summary %+v", s)
	}
	remaining = 0
	if !Summary(u, nil, &launchpad.KeyInfo{UsageUSD: 5, LimitUSD: &limit, LimitRemaining: &remaining}).SpendExhausted {
		t.Fatal("limit_remaining 0 is exhausted")
	}
	if s := Summary(&launchpad.User{}, nil, nil); s.HoursCap != nil || s.CycleEnd != nil || s.SpendUSD != nil || s.Capped || s.SpendExhausted {
		t.Fatalf("an unmetered user without plan or key: %+v", s)
	}
}

func TestSpentOut(t *testing.T) {
	five, zero, some := 5.0, 0.0, 0.5
	for _, c := range []struct {
		key  launchpad.KeyInfo
		want bool
	}{
		{launchpad.KeyInfo{LimitUSD: &five, LimitRemaining: &zero, UsageUSD: 5}, true},
		{launchpad.KeyInfo{LimitUSD: &five, LimitRemaining: &some, UsageUSD: 4.5}, false},
		{launchpad.KeyInfo{LimitUSD: &five, UsageUSD: 5}, true},                                            // no limit_remaining given: usage vs limit
		{launchpad.KeyInfo{LimitUSD: &five, UsageUSD: 50, LimitReset: launchpad.LimitResetMonthly}, false}, // total usage says nothing about this month
		{launchpad.KeyInfo{UsageUSD: 50}, false},                                                           // no limit
	} {
		if got := spentOut(&c.key); got != c.want {
			t.Errorf("spentOut(%+v) = %v", c.key, got)
		}
	}
}
