package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// auditConstant is one Audit… string constant of package launchpad.
type auditConstant struct{ name, value string }

// auditActionConstants reads every exported string constant named Audit… from the domain
// package's source, so a new action without a label fails TestAuditLabelsAndDownload.
func auditActionConstants(t *testing.T) []auditConstant {
	t.Helper()
	dir := filepath.Join("..", "..", "internal", "launchpad")
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []auditConstant
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Audit") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					out = append(out, auditConstant{name.Name, v})
				}
			}
		}
	}
	if len(out) < 30 {
		t.Fatalf("found only %d audit action constants in %s; the parser missed them", len(out), dir)
	}
	return out
}

var (
	cssVar    = regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{3,6})`)
	cssBgHex  = regexp.MustCompile(`background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})`)
	cssBgVar  = regexp.MustCompile(`background(?:-color)?:\s*var\(--([a-z-]+)\)`)
	keyframes = regexp.MustCompile(`(?s)@keyframes[^{]*\{[^}]*\{[^}]*\}\s*\}`)
)

// The focus ring (--focus, the last definition wins as in the browser) has at least 3:1
// contrast (WCAG 1.4.11) against every background colour the stylesheet paints, read from
// the CSS itself. Buttons are left out: the ring is drawn outside them, on what is behind.
func TestFocusRingContrast(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("static", "style.css"))
	if err != nil {
		t.Fatal(err)
	}
	css := keyframes.ReplaceAllString(string(raw), "") // a flash of colour, not a background
	vars := map[string]string{}
	for _, m := range cssVar.FindAllStringSubmatch(css, -1) {
		vars[m[1]] = m[2]
	}
	focus, ok := vars["focus"]
	if !ok {
		t.Fatal("style.css defines no --focus colour")
	}
	backgrounds := map[string]bool{}
	for _, rule := range strings.Split(css, "}") {
		sel, body, ok := strings.Cut(rule, "{")
		if !ok || strings.Contains(sel, "button") || strings.Contains(sel, ".button") || strings.Contains(sel, "summary") {
			continue
		}
		for _, m := range cssBgHex.FindAllStringSubmatch(body, -1) {
			backgrounds[m[1]] = true
		}
		for _, m := range cssBgVar.FindAllStringSubmatch(body, -1) {
			if c, ok := vars[m[1]]; ok {
				backgrounds[c] = true
			}
		}
	}
	if len(backgrounds) < 5 {
		t.Fatalf("found only %d backgrounds in style.css: %v", len(backgrounds), backgrounds)
	}
	for bg := range backgrounds {
		if r := contrast(focus, bg); r < 3 {
			t.Errorf("focus ring %s on background %s: contrast %.2f:1, want at least 3:1", focus, bg, r)
		}
	}
}

// contrast is the WCAG contrast ratio of two #rgb or #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	var ch [3]float64
	for i := range 3 {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			ch[i] = c / 12.92
		} else {
			ch[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}
