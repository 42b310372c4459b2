package dev.gatehouse.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A statement written with named parameters ({@code :user}, {@code :now}) so that fragments owned
 * by different tables' classes can be joined into one statement (a CTE per table) without
 * renumbering {@code $n} by hand. Each name becomes one {@code $n}; binding one name twice to
 * different values is a programming error. {@code ::type} casts are left alone.
 */
public final class Sql {

  private static final Pattern NAME = Pattern.compile("(?<![:\\w]):([a-z][a-z0-9_]*)");

  private final String text;
  private final Map<String, Object> values;

  private Sql(String text, Map<String, Object> values) {
    this.text = text;
    this.values = values;
  }

  public static Sql of(String text) {
    return new Sql(text, new LinkedHashMap<>());
  }

  /** Binds a name used in the text (null binds SQL NULL). */
  public Sql bind(String name, Object value) {
    if (values.containsKey(name) && !Objects.equals(values.get(name), value)) {
      throw new IllegalArgumentException("parameter :" + name + " bound twice to different values");
    }
    values.put(name, value);
    return this;
  }

  public String text() {
    return text;
  }

  /**
   * Joins fragments with {@code separator}, their bindings merged: {@code Sql.join(",\n", a, b)}
   * for a list of CTEs.
   */
  public static Sql join(String separator, List<Sql> parts) {
    StringBuilder joined = new StringBuilder();
    Sql out = new Sql("", new LinkedHashMap<>());
    for (Sql part : parts) {
      if (joined.length() > 0) {
        joined.append(separator);
      }
      joined.append(part.text);
      part.values.forEach(out::bind);
    }
    return new Sql(joined.toString(), out.values);
  }

  /** This fragment's text placed into a template at {@code %s}, bindings kept. */
  public Sql wrap(String template) {
    return new Sql(String.format(template, text), new LinkedHashMap<>(values));
  }

  /** Adds another fragment's bindings (its text is the caller's to place). */
  public Sql with(Sql other) {
    other.values.forEach(this::bind);
    return this;
  }

  /** The {@code $n} text and its tuple, in the order the names first appear. */
  public Positional positional() {
    Parsed parsed = PARSED.computeIfAbsent(text, Sql::parse);
    Tuple tuple = Tuple.tuple();
    for (String name : parsed.names()) {
      if (!values.containsKey(name)) {
        throw new IllegalArgumentException("parameter :" + name + " is not bound");
      }
      tuple.addValue(values.get(name));
    }
    return new Positional(parsed.sql(), tuple);
  }

  /** Statements are built from constant fragments, so each text is parsed once per process. */
  private static final Map<String, Parsed> PARSED = new java.util.concurrent.ConcurrentHashMap<>();

  private record Parsed(String sql, List<String> names) {
  }

  private static Parsed parse(String text) {
    Map<String, Integer> numbers = new LinkedHashMap<>();
    Matcher m = NAME.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      Integer n = numbers.computeIfAbsent(m.group(1), k -> numbers.size() + 1);
      m.appendReplacement(out, Matcher.quoteReplacement("$" + n));
    }
    m.appendTail(out);
    return new Parsed(out.toString(), List.copyOf(numbers.keySet()));
  }

  public Future<RowSet<Row>> execute(SqlClient db) {
    Positional p = positional();
    return db.preparedQuery(p.sql()).execute(p.tuple());
  }

  /** The statement as PostgreSQL receives it. */
  public record Positional(String sql, Tuple tuple) {
  }

  @Override
  public String toString() {
    return text;
  }
}
