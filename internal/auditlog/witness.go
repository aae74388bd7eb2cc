package auditlog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// pushTimeout bounds one push to a witness URL.
const pushTimeout = 10 * time.Second

// Witness is where checkpoints are pushed so that a copy lives outside the operator's own
// infrastructure: an HTTP(S) URL that receives each signed note as the body of a POST
// (Content-Type text/plain; any 2xx is success), or a file that each note is appended to,
// followed by an empty line. This is a plain push, not the C2SP tlog-witness protocol: the
// receiver keeps the notes; anyone can later check the log against any of them with
// `audit --verify --checkpoint`.
type Witness struct {
	url    string // for POST; "" for a file
	path   string // for a file
	client *http.Client
}

// NewWitness parses LAUNCHPAD_AUDIT_WITNESS: https://…, http://… or file:///absolute/path.
// client may be nil (a default with pushTimeout). Errors never repeat the URL, which may hold
// a token.
func NewWitness(target string, client *http.Client) (*Witness, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_AUDIT_WITNESS is not a URL: use https://HOST/PATH or file:///ABSOLUTE/PATH")
	}
	if client == nil {
		client = &http.Client{Timeout: pushTimeout}
	}
	switch u.Scheme {
	case "https", "http":
		if u.Host == "" {
			return nil, launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_AUDIT_WITNESS has no host: use https://HOST/PATH")
		}
		return &Witness{url: target, client: client}, nil
	case "file":
		if u.Host != "" || !filepath.IsAbs(u.Path) {
			return nil, launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_AUDIT_WITNESS file sink needs an absolute path with three slashes, like file:///var/lib/launchpad/checkpoints")
		}
		return &Witness{path: u.Path}, nil
	default:
		return nil, launchpad.Errorf(launchpad.EINVALID, "LAUNCHPAD_AUDIT_WITNESS must start with https://, http:// or file:///")
	}
}

// String names the witness without credentials: the URL's scheme, host and path only.
func (w *Witness) String() string {
	if w.path != "" {
		return "file://" + w.path
	}
	u, err := url.Parse(w.url)
	if err != nil {
		return "witness"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// Push delivers one signed note.
func (w *Witness) Push(ctx context.Context, note []byte) error {
	if w.path != "" {
		f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("opening the checkpoint file: %w", err)
		}
		_, err = f.Write(append(append([]byte{}, note...), '\n'))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(note))
	if err != nil {
		return fmt.Errorf("building the witness request")
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := w.client.Do(req)
	if err != nil {
		// The error of Do quotes the URL; name the witness without its credentials instead.
		return fmt.Errorf("posting to %s failed", w.String())
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // drained for reuse; the status decides
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", w.String(), resp.Status)
	}
	return nil
}

// PushLoop pushes the log's checkpoint to w now and then every interval, whenever the tree
// has grown since the last successful push, until ctx ends. A failed push is logged and
// retried at the next tick.
func (l *Log) PushLoop(ctx context.Context, w *Witness, interval time.Duration, logger *slog.Logger) {
	pushed := int64(-1)
	push := func() {
		signed, err := l.Checkpoint(ctx)
		if err != nil {
			logger.Warn("audit checkpoint: cannot compute", "error", launchpad.ErrorMessage(err))
			return
		}
		if signed.Checkpoint.Size == pushed {
			return
		}
		if err := w.Push(ctx, signed.Note); err != nil {
			logger.Warn("audit checkpoint: push to the witness failed", "witness", w.String(), "error", err.Error())
			return
		}
		pushed = signed.Checkpoint.Size
		logger.Info("audit checkpoint pushed", "witness", w.String(), "size", pushed)
	}
	push()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			push()
		}
	}
}
