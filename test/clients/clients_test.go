package clients

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// jdbcJar is Debian's pgjdbc (package libpostgresql-jdbc-java).
const jdbcJar = "/usr/share/java/postgresql.jar"

func TestClientsJDBC(t *testing.T) {
	javac := requireTool(t, "javac")
	java := requireTool(t, "java")
	if _, err := os.Stat(jdbcJar); err != nil {
		missing(t, jdbcJar+" is missing (apt-get install libpostgresql-jdbc-java)")
	}
	f := server(t)
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-cp", jdbcJar, "-d", classes, filepath.Join("jdbc", "Main.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	rec := runClient(t, "jdbc", f, 5*time.Minute, java, "-cp", classes+string(os.PathListSeparator)+jdbcJar, "Main")
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
