package controlplane

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// metrics are the server's Prometheus series, on a registry of its own (never the global
// one), so several servers can run in one test binary.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	signIns  *prometheus.CounterVec
	mail     *prometheus.CounterVec
	jobs     *prometheus.CounterVec
	// stripeUnreadable counts Stripe events whose object could not be read (billing.Metrics).
	stripeUnreadable *prometheus.CounterVec
	// The purge loop (purge.Metrics).
	purged       *prometheus.CounterVec
	purgeErrors  *prometheus.CounterVec
	purgeLastRun prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "launchpad_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "launchpad_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "launchpad_signin_total",
			Help: "Sign-in steps by outcome: code_sent, code_rate_limited, success, mfa_required, wrong_code, locked_out, mfa_success, mfa_failed, refresh, refresh_reuse, logout.",
		}, []string{"outcome"}),
		mail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "launchpad_mail_total",
			Help: "Outgoing mail by kind and result (sent, failed, dropped).",
		}, []string{"kind", "result"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "launchpad_jobs_finished_total",
			Help: "Job attempts run by this process's workers, by kind and the status recorded after them (succeeded, queued for a retry, failed, or unrecorded when the store could not be told).",
		}, []string{"kind", "status"}),
		stripeUnreadable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "launchpad_stripe_events_unreadable_total",
			Help: "Stripe events whose object has a shape the processor cannot read, by event type, API version and stage: webhook (refused, so Stripe retries it) or processor (a recorded event failed).",
		}, []string{"type", "api_version", "stage"}),
	}
	m.purged = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "launchpad_purged_total",
		Help: "Records erased by this process's purge loop for being past their retention, by class: stripe_payloads, job_logs, sessions, devices, sign_in_codes, snapshots (retained workspace apps of destroyed tenants deleted at Fly).",
	}, []string{"class"})
	m.purgeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "launchpad_purge_errors_total",
		Help: "Sweeps of the purge loop that failed, by class (the next pass tries again).",
	}, []string{"class"})
	m.purgeLastRun = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "launchpad_purge_last_run_timestamp_seconds",
		Help: "When this process last finished a purge pass (Unix time); only the replica that claimed an interval's pass runs it.",
	})
	reg.MustRegister(m.requests, m.latency, m.signIns, m.mail, m.jobs, m.stripeUnreadable, m.purged, m.purgeErrors, m.purgeLastRun)
	return m
}

func (m *metrics) observeRequest(route, method string, status int, d time.Duration) {
	method = metricMethod(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// SignIn and Mail count for the auth service (auth.Metrics).
func (m *metrics) SignIn(outcome string)    { m.signIns.WithLabelValues(outcome).Inc() }
func (m *metrics) Mail(kind, result string) { m.mail.WithLabelValues(kind, result).Inc() }

// StripeEventUnreadable counts for the webhook and the processor (billing.Metrics). Only
// events with a valid signature are counted, and billing bounds the version, so the labels
// stay few.
func (m *metrics) StripeEventUnreadable(eventType, apiVersion, stage string) {
	m.stripeUnreadable.WithLabelValues(eventType, apiVersion, stage).Inc()
}

// Purged, PurgeFailed and PurgeRan count for the purge loop (purge.Metrics).
func (m *metrics) Purged(class string, n int64) { m.purged.WithLabelValues(class).Add(float64(n)) }
func (m *metrics) PurgeFailed(class string)     { m.purgeErrors.WithLabelValues(class).Inc() }
func (m *metrics) PurgeRan(at time.Time)        { m.purgeLastRun.Set(float64(at.UnixMilli()) / 1000) }

// jobFinished counts one finished attempt; j is nil when its outcome could not be stored
// (the job is then reclaimed after its lease).
func (m *metrics) jobFinished(j *launchpad.Job) {
	if j == nil {
		m.jobs.WithLabelValues("unknown", "unrecorded").Inc()
		return
	}
	m.jobs.WithLabelValues(j.Kind, j.Status).Inc()
}

// metricMethod bounds the method label: clients can send any token as a method.
func metricMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	default:
		return "OTHER"
	}
}

// requireMetricsToken lets /metrics through with Config.MetricsToken as the bearer token,
// compared in constant time (both sides hashed first, so not even the length leaks), or with
// no token configured. The series name routes, sign-in outcomes and job kinds: harmless
// alone, a map of the service to whoever scrapes it, so operators who expose the port can
// close it.
func (s *Server) requireMetricsToken(next http.Handler) http.Handler {
	if s.cfg.MetricsToken == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(bearer(r)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="launchpad-metrics"`)
			s.writeError(w, r, launchpad.Errorf(launchpad.EUNAUTHORIZED, "/metrics needs Authorization: Bearer <LAUNCHPAD_METRICS_TOKEN>; give your scraper the token (Prometheus: authorization.credentials_file)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
