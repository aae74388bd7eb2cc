package controlplane

import (
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
	}
	reg.MustRegister(m.requests, m.latency, m.signIns, m.mail, m.jobs)
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

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
