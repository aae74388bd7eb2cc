// Package citation checks that the documentation's claims still point at the code that
// backs them. A claim cites `path#Symbol` — a file of this repository and the one symbol the
// claim is about: in a Go file a function, a type, a constant or a variable (`Name`), a method
// or a struct or interface field (`Type.Name`); in any other file a literal word. Symbols are
// resolved with go/ast, so moving code within its file never breaks a citation, while renaming
// or deleting the symbol, or the file, does. Locate gives the lines a citation resolves to
// today, for readers who want them (make docs prints them).
package citation

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	// pattern matches `path#Symbol` inside a code span; the path names a file with an
	// extension, so that the words `path#Symbol` themselves are not a citation.
	pattern = regexp.MustCompile("`([A-Za-z0-9_./-]+\\.[A-Za-z0-9]+)#([A-Za-z_][A-Za-z0-9_.]*)`")
	// byLine matches the older `path:start-end#Symbol` form, which broke whenever code moved.
	byLine = regexp.MustCompile("`([A-Za-z0-9_./-]+):([0-9]+)-([0-9]+)#([A-Za-z_][A-Za-z0-9_.]*)`")
)

// Citation is one `path#Symbol` found in a document.
type Citation struct {
	Path   string
	Symbol string
	Line   int // where the citation appears in the document
}

func (c Citation) String() string { return c.Path + "#" + c.Symbol }

// Location is where a citation resolves: its file and the lines of the declaration.
type Location struct {
	Citation
	Start, End int
}

func (l Location) String() string { return fmt.Sprintf("%s:%d-%d", l.Path, l.Start, l.End) }

// Problem is a citation that does not hold.
type Problem struct {
	Citation Citation
	Reason   string
}

func (p Problem) String() string {
	return fmt.Sprintf("line %d: %s: %s", p.Citation.Line, p.Citation, p.Reason)
}

// Parse returns every citation in a document, in order, and a problem for each citation in
// the older line-number form.
func Parse(doc string) (cites []Citation, problems []Problem) {
	for i, line := range strings.Split(doc, "\n") {
		for _, m := range pattern.FindAllStringSubmatch(line, -1) {
			cites = append(cites, Citation{Path: m[1], Symbol: m[2], Line: i + 1})
		}
		for _, m := range byLine.FindAllStringSubmatch(line, -1) {
			c := Citation{Path: m[1], Symbol: m[4], Line: i + 1}
			problems = append(problems, Problem{Citation: c, Reason: "cites line numbers; cite `" + c.String() + "` instead, so that moving code never breaks it"})
		}
	}
	return cites, problems
}

// Check resolves every citation of doc against the files under root.
func Check(root, doc string) (locs []Location, problems []Problem) {
	cites, problems := Parse(doc)
	r := resolver{root: root, files: map[string]*source{}}
	for _, c := range cites {
		loc, reason := r.locate(c)
		if reason != "" {
			problems = append(problems, Problem{Citation: c, Reason: reason})
			continue
		}
		locs = append(locs, loc)
	}
	return locs, problems
}

// resolver reads and parses each cited file once.
type resolver struct {
	root  string
	files map[string]*source
}

type source struct {
	lines []string
	fset  *token.FileSet
	file  *ast.File // nil for a non-Go file
	err   error
}

func (r *resolver) read(path string) *source {
	if s, ok := r.files[path]; ok {
		return s
	}
	s := &source{}
	r.files[path] = s
	b, err := os.ReadFile(filepath.Join(r.root, path))
	if err != nil {
		s.err = err
		return s
	}
	s.lines = strings.Split(string(b), "\n")
	if strings.HasSuffix(path, ".go") {
		s.fset = token.NewFileSet()
		s.file, s.err = parser.ParseFile(s.fset, path, b, parser.SkipObjectResolution)
	}
	return s
}

func (r *resolver) locate(c Citation) (Location, string) {
	clean := filepath.ToSlash(filepath.Clean(c.Path))
	if filepath.IsAbs(clean) || strings.HasPrefix(clean, "..") {
		return Location{}, "the path must be relative to the repository root"
	}
	s := r.read(clean)
	if s.err != nil {
		return Location{}, "the file cannot be read: " + s.err.Error()
	}
	loc := Location{Citation: c}
	if s.file == nil {
		word := regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(c.Symbol) + `([^A-Za-z0-9_]|$)`)
		for i, l := range s.lines {
			if word.MatchString(l) {
				loc.Start, loc.End = i+1, i+1
				return loc, ""
			}
		}
		return Location{}, "the file no longer contains " + c.Symbol
	}
	nodes := declarations(s.file, c.Symbol)
	switch len(nodes) {
	case 0:
		return Location{}, "the file no longer declares " + c.Symbol
	case 1:
		loc.Start, loc.End = s.fset.Position(nodes[0].Pos()).Line, s.fset.Position(nodes[0].End()).Line
		return loc, ""
	default:
		return Location{}, fmt.Sprintf("%s is declared %d times in the file; cite it with its type (Type.Name)", c.Symbol, len(nodes))
	}
}

// declarations finds what declares symbol in f: `Name` is a function, type, constant or
// variable at the top level; `Type.Name` is a method of Type, or a field or interface method
// of the type Type declares.
func declarations(f *ast.File, symbol string) []ast.Node {
	owner, name, qualified := strings.Cut(symbol, ".")
	if !qualified {
		name, owner = owner, ""
	}
	var out []ast.Node
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.Name == name && receiverName(d) == owner {
				out = append(out, d)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					if !qualified && spec.Name.Name == name {
						out = append(out, spec)
					}
					if qualified && spec.Name.Name == owner {
						out = append(out, members(spec.Type, name)...)
					}
				case *ast.ValueSpec:
					for _, n := range spec.Names {
						if !qualified && n.Name == name {
							out = append(out, spec)
						}
					}
				}
			}
		}
	}
	return out
}

// receiverName is the type a method is declared on ("" for a function): T for (t *T) or
// (t T[K]).
func receiverName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return ""
	}
	t := d.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// members finds the fields of a struct type, or the methods of an interface type, named name.
func members(t ast.Expr, name string) []ast.Node {
	var fields *ast.FieldList
	switch x := t.(type) {
	case *ast.StructType:
		fields = x.Fields
	case *ast.InterfaceType:
		fields = x.Methods
	default:
		return nil
	}
	var out []ast.Node
	for _, f := range fields.List {
		for _, n := range f.Names {
			if n.Name == name {
				out = append(out, f)
			}
		}
	}
	return out
}
