package billing

// Metrics counts what the webhook and the processor see, for the control plane's Prometheus
// series. Nil in a config counts nothing.
type Metrics interface {
	// StripeEventUnreadable counts an event whose data.object could not be read (see
	// unreadableError): stage is "webhook" (refused, so Stripe retries it) or "processor" (a
	// recorded event failed permanently). apiVersion is the event's, bounded.
	StripeEventUnreadable(eventType, apiVersion, stage string)
}

// Stages of StripeEventUnreadable.
const (
	StageWebhook   = "webhook"
	StageProcessor = "processor"
)

type noMetrics struct{}

func (noMetrics) StripeEventUnreadable(string, string, string) {}
