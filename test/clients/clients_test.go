package clients

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// jdbcJar is Debian's pgjdbc (package libpostgresql-jdbc-java).
const jdbcJar = "/usr/share/java/postgresql.jar"

var (
	javaOnce    sync.Once
	javaClasses string
	javaErr     error
)

// jdbcMain compiles jdbc/Main.java once per test binary and returns the
// java command line that runs it.
func jdbcMain(t *testing.T) (java string, args []string) {
	t.Helper()
	javac := requireTool(t, "javac")
	java = requireTool(t, "java")
	if _, err := os.Stat(jdbcJar); err != nil {
		missing(t, jdbcJar+" is missing (apt-get install libpostgresql-jdbc-java)")
	}
	javaOnce.Do(func() {
		javaClasses = filepath.Join(tmpRoot, "jdbc-classes")
		if out, err := exec.Command(javac, "-cp", jdbcJar, "-d", javaClasses, filepath.Join("jdbc", "Main.java")).CombinedOutput(); err != nil {
			javaErr = fmt.Errorf("javac: %v\n%s", err, out)
		}
	})
	if javaErr != nil {
		t.Fatal(javaErr)
	}
	return java, []string{"-cp", javaClasses + string(os.PathListSeparator) + jdbcJar, "Main"}
}

func TestClientsJDBC(t *testing.T) {
	f := server(t)
	java, args := jdbcMain(t)
	rec := runClient(t, "jdbc", f, 5*time.Minute, java, args...)
	// The checks above pass with any protocol path; these make sure the
	// paths the brief names were taken: binary results after
	// prepareThreshold, and a portal read 100 rows at a time.
	binary, suspended := rec.counts()
	t.Run("binary_results_used", func(t *testing.T) {
		if binary == 0 {
			gapOrFail(t, "jdbc/binary_results_used", "pgjdbc never asked for a binary result column")
			return
		}
		passed(t, "jdbc/binary_results_used")
	})
	t.Run("portal_suspended", func(t *testing.T) {
		// lineitem has 60175 rows: fetch size 100 suspends the portal
		// about 600 times.
		if suspended < 500 {
			gapOrFail(t, "jdbc/portal_suspended", fmt.Sprintf("the server sent %d PortalSuspended", suspended))
			return
		}
		passed(t, "jdbc/portal_suspended")
	})
}

// python3 is Debian's: the drivers come from python3-psycopg2,
// python3-sqlalchemy and python3-pandas, which a pyenv or venv python
// earlier in PATH would not see.
const python3 = "/usr/bin/python3"

func requirePython(t *testing.T, modules ...string) {
	t.Helper()
	requireTool(t, python3)
	for _, m := range modules {
		if err := exec.Command(python3, "-c", "import "+m).Run(); err != nil {
			missing(t, "python module "+m+" is missing (apt-get install python3-"+m+")")
		}
	}
}

func TestClientsPsycopg2(t *testing.T) {
	requirePython(t, "psycopg2")
	f := server(t)
	runClient(t, "psycopg2", f, 5*time.Minute, python3, filepath.Join("psycopg2", "run.py"))
}

func TestClientsSQLAlchemy(t *testing.T) {
	requirePython(t, "sqlalchemy", "pandas", "psycopg2")
	f := server(t)
	runClient(t, "sqlalchemy", f, 5*time.Minute, python3, filepath.Join("sqlalchemy", "run.py"))
}

// TestClientsNode needs `npm ci` in test/clients/node first (.ci/run does
// it); node_modules is not committed.
func TestClientsNode(t *testing.T) {
	node := requireTool(t, "node", "nodejs")
	if _, err := os.Stat(filepath.Join("node", "node_modules", "pg")); err != nil {
		missing(t, "node-postgres is not installed (cd test/clients/node && npm ci)")
	}
	f := server(t)
	runClient(t, "node", f, 5*time.Minute, node, filepath.Join("node", "run.js"))
}
