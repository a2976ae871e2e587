package clients

import (
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
	runClient(t, "jdbc", f, 5*time.Minute, java, "-cp", classes+string(os.PathListSeparator)+jdbcJar, "Main")
}
