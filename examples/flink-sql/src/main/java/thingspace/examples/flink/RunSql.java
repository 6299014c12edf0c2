package thingspace.examples.flink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs the statements of .sql files, in order, in one local TableEnvironment (a MiniCluster in this JVM), and
 * prints each statement with its result or its error on stdout.
 *
 * <p>Usage: {@code RunSql [--streaming] file.sql...}. Batch mode unless {@code --streaming}. {@code ${NAME}} in a
 * file is replaced by the environment variable NAME (KAFKA_BOOTSTRAP and SCHEMA_REGISTRY_URL have defaults).
 *
 * <p>A statement ends with {@code ;} at the end of a line. Comment lines ({@code --}) before a statement are
 * printed with it; the comment {@code -- expect: error} says the statement must fail. Every statement runs, even
 * after a failure; the exit code is 1 when an outcome differed from what the file expects, so the files double as
 * a record of what Flink does with the bridge's topics.
 */
public final class RunSql {
  private static final Map<String, String> DEFAULTS =
      Map.of(
          "KAFKA_BOOTSTRAP", "localhost:9092",
          "SCHEMA_REGISTRY_URL", "http://localhost:8081");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z_][A-Z0-9_]*)}");
  private static final String EXPECT_ERROR = "-- expect: error";
  /** Enough of a message to name what is wrong (e.g. which option is unsupported), not its whole list. */
  private static final int MESSAGE_LINES = 4;

  /** One statement of a file, with the comment lines written above it. */
  record Statement(String comments, String sql, boolean expectError) {}

  private RunSql() {}

  public static void main(String[] args) throws IOException {
    boolean streaming = false;
    List<Statement> statements = new ArrayList<>();
    for (String arg : args) {
      if (arg.equals("--streaming")) {
        streaming = true;
      } else {
        statements.addAll(parse(substitute(Files.readString(Path.of(arg)), arg)));
      }
    }
    if (statements.isEmpty()) {
      System.err.println("usage: RunSql [--streaming] file.sql...");
      System.exit(2);
    }

    EnvironmentSettings settings =
        streaming ? EnvironmentSettings.inStreamingMode() : EnvironmentSettings.inBatchMode();
    TableEnvironment env = TableEnvironment.create(settings);
    // One core's worth of work on a shared machine; timestamps printed in UTC so runs compare.
    env.getConfig().set("parallelism.default", "1");
    env.getConfig().setLocalTimeZone(ZoneOffset.UTC);

    int surprises = 0;
    for (Statement statement : statements) {
      System.out.println();
      if (!statement.comments().isEmpty()) System.out.println(statement.comments());
      System.out.println(statement.sql() + ";");
      boolean failed = !execute(env, statement.sql());
      if (failed != statement.expectError()) {
        surprises++;
        System.out.println(
            failed ? "!! UNEXPECTED: this statement failed" : "!! UNEXPECTED: this statement succeeded");
      }
    }
    System.out.println();
    System.out.println("statements=" + statements.size() + " unexpected=" + surprises);
    System.exit(surprises == 0 ? 0 : 1);
  }

  /** Runs one statement and prints its rows (or OK, or the error's chain of causes); true when it succeeded. */
  private static boolean execute(TableEnvironment env, String sql) {
    try {
      TableResult result = env.executeSql(sql);
      if (result.getResolvedSchema().getColumnCount() == 1
          && result.getResolvedSchema().getColumnNames().get(0).equals("result")) {
        System.out.println("-> OK");
        return true;
      }
      System.out.println("-> columns: " + String.join(", ", result.getResolvedSchema().getColumnNames()));
      int rows = 0;
      try (CloseableIterator<Row> it = result.collect()) {
        while (it.hasNext()) {
          System.out.println("   " + it.next());
          rows++;
        }
      }
      System.out.println("-> " + rows + " row(s)");
      return true;
    } catch (Exception e) {
      System.out.println("-> ERROR " + causes(e));
      return false;
    }
  }

  /** The messages of an exception and its causes (a few lines of each, blank lines left out), without repeats. */
  private static String causes(Throwable e) {
    StringBuilder out = new StringBuilder();
    String previous = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = t.getClass().getSimpleName() + ": " + firstLines(t.getMessage());
      if (!message.equals(previous)) out.append("\n   caused by ").append(message);
      previous = message;
    }
    return out.substring("\n   caused by ".length());
  }

  private static String firstLines(String message) {
    if (message == null) return "";
    return String.join(
        " | ", message.lines().filter(line -> !line.isBlank()).limit(MESSAGE_LINES).toList());
  }

  private static String substitute(String text, String file) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = System.getenv().getOrDefault(m.group(1), DEFAULTS.get(m.group(1)));
      if (value == null) throw new IllegalArgumentException(file + ": ${" + m.group(1) + "} is not set");
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    return m.appendTail(out).toString();
  }

  private static List<Statement> parse(String text) {
    List<Statement> statements = new ArrayList<>();
    StringBuilder comments = new StringBuilder();
    StringBuilder sql = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      String trimmed = line.strip();
      if (sql.isEmpty() && trimmed.startsWith("--")) {
        comments.append(comments.isEmpty() ? "" : "\n").append(trimmed);
        continue;
      }
      if (sql.isEmpty() && trimmed.isEmpty()) {
        comments.setLength(0); // a blank line ends a comment that belongs to no statement
        continue;
      }
      sql.append(sql.isEmpty() ? "" : "\n").append(line);
      if (trimmed.endsWith(";")) {
        String body = sql.toString().strip();
        String c = comments.toString();
        statements.add(
            new Statement(c, body.substring(0, body.length() - 1).strip(), c.contains(EXPECT_ERROR)));
        comments.setLength(0);
        sql.setLength(0);
      }
    }
    if (!sql.toString().isBlank()) throw new IllegalArgumentException("a statement does not end with ';'");
    return statements;
  }
}
