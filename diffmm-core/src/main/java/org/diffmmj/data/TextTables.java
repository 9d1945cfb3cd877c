package org.diffmmj.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.csv.CsvFactory;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

/**
 * Delimited text (RFC 4180: quoted fields may hold the delimiter, quotes doubled, line breaks)
 * through Jackson's CSV parser, with errors that name the file and the line a record starts on.
 * Files are strict UTF-8 regular files (see {@link DataFiles#readText}); blank lines are skipped;
 * fields are not trimmed (readers refuse ids with surrounding spaces rather than guess).
 */
final class TextTables {

    private static final CsvFactory FACTORY = new CsvFactory();

    private TextTables() {
    }

    /** A record: the 1-based line it starts on and its fields. */
    record Row(int line, String[] fields) {
    }

    /** A whole file: header names and the non-blank data rows. */
    record Table(String[] header, List<Row> rows) {
    }

    /** Reads a file whose first non-blank record is a header. */
    static Table readAll(Path file, char delimiter) throws IOException {
        List<Row> rows = records(file, delimiter);
        if (rows.isEmpty()) {
            throw new DataFormatException(file + ": empty file (expected a header line)");
        }
        String[] header = rows.get(0).fields();
        for (int k = 0; k < header.length; k++) {
            header[k] = header[k].trim();
        }
        return new Table(header, new ArrayList<>(rows.subList(1, rows.size())));
    }

    /** Every non-blank record of a file. */
    static List<Row> records(Path file, char delimiter) throws IOException {
        return parse(file, DataFiles.readText(file), delimiter);
    }

    static List<Row> parse(Path file, String text, char delimiter) throws IOException {
        if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
            throw new IllegalArgumentException("the delimiter cannot be a quote or a line break");
        }
        CsvSchema schema = CsvSchema.emptySchema().withColumnSeparator(delimiter).withQuoteChar('"')
                .withoutEscapeChar().withoutComments();
        List<Row> rows = new ArrayList<>();
        int line = 0;
        try (CsvParser p = FACTORY.createParser(text)) {
            p.setSchema(schema);
            p.disable(CsvParser.Feature.WRAP_AS_ARRAY);
            p.disable(CsvParser.Feature.TRIM_SPACES);
            List<String> fields = null;
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.START_ARRAY) {
                    // Jackson's CSV locations count lines from 0.
                    line = p.currentTokenLocation().getLineNr() + 1;
                    fields = new ArrayList<>();
                } else if (t == JsonToken.VALUE_STRING && fields != null) {
                    fields.add(p.getText());
                } else if (t == JsonToken.END_ARRAY && fields != null) {
                    if (!fields.stream().allMatch(String::isBlank)) {
                        rows.add(new Row(line, fields.toArray(String[]::new)));
                    }
                    fields = null;
                    line = 0;
                } else {
                    throw new DataFormatException(file + ":" + p.currentLocation().getLineNr() + ": unexpected CSV structure");
                }
            }
        } catch (JsonProcessingException e) {
            // Name the line the broken record starts on (an unclosed quote is only noticed at the end).
            int at = e.getLocation() == null ? line : e.getLocation().getLineNr() + 1;
            int start = line > 0 && line <= at ? line : at;
            String why = e.getOriginalMessage() == null ? "malformed" : e.getOriginalMessage();
            throw new DataFormatException(file + ":" + start + ": malformed CSV" + (at != start ? " (noticed on line " + at + ")" : "")
                    + ": " + DataFiles.excerpt(why, 120));
        }
        return rows;
    }

    static int column(Path file, String[] header, String name) {
        for (int k = 0; k < header.length; k++) {
            if (header[k].equals(name)) {
                return k;
            }
        }
        throw new DataFormatException(file + ": header has no '" + name + "' column (found "
                + DataFiles.excerpt(String.join(",", header), 80) + ")");
    }

    /**
     * An id as written, refused when empty, with surrounding spaces, or with control characters:
     * "5", " 5 " and "5\t" must not become different users, nor silently the same one.
     */
    static String id(Path file, Row row, int col, String what) {
        if (col >= row.fields().length || row.fields()[col].isEmpty()) {
            throw new DataFormatException(file + ":" + row.line() + ": missing " + what + " (column " + (col + 1) + ")");
        }
        String v = row.fields()[col];
        if (!v.equals(v.strip())) {
            throw new DataFormatException(file + ":" + row.line() + ": " + what + " " + DataFiles.excerpt(v)
                    + " has leading or trailing spaces; remove them (ids are compared exactly)");
        }
        for (int k = 0; k < v.length(); k++) {
            if (Character.isISOControl(v.charAt(k))) {
                throw new DataFormatException(file + ":" + row.line() + ": " + what + " " + DataFiles.excerpt(v)
                        + " contains a control character");
            }
        }
        return v;
    }

    /** The CSV text of one record, quoting fields that need it (RFC 4180). */
    static String format(char delimiter, String... fields) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < fields.length; k++) {
            if (k > 0) {
                sb.append(delimiter);
            }
            String f = fields[k];
            boolean quote = f.isEmpty() ? false : f.indexOf(delimiter) >= 0 || f.indexOf('"') >= 0
                    || f.indexOf('\n') >= 0 || f.indexOf('\r') >= 0 || !f.equals(f.strip());
            if (quote) {
                sb.append('"').append(f.replace("\"", "\"\"")).append('"');
            } else {
                sb.append(f);
            }
        }
        return sb.append('\n').toString();
    }
}
