package web

import (
	"fmt"
	"strings"
)

// formatPrice says a Stripe price as "$29.00 a month" (or "29.00 EUR a month").
func formatPrice(p Price) string {
	amount := formatAmount(p.UnitAmount, p.Currency)
	if p.Interval == "" {
		return amount
	}
	return amount + " a " + p.Interval
}

// formatAmount says an amount in a currency's smallest unit.
func formatAmount(cents int64, currency string) string {
	v := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	if strings.EqualFold(currency, "usd") || currency == "" {
		return "$" + v
	}
	return v + " " + strings.ToUpper(currency)
}

// Amount is the invoice's amount due in words ("$29.00").
func (i Invoice) Amount() string { return formatAmount(i.AmountDue, i.Currency) }
