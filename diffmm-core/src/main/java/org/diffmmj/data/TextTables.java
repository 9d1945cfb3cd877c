package org.diffmmj.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Line-oriented delimited files with a header, with errors that name file and line. */
final class TextTables {

    private TextTables() {
    }

    /** A data row: its 1-based line number and its fields. */
    record Row(int line, String[] fields) {
    }

    /** A whole file: header names and the non-empty data rows. */
    record Table(String[] header, List<Row> rows) {
    }

    static Table readAll(Path file, String delimiterRegex) throws IOException {
        List<Row> rows = new ArrayList<>();
        String[] header = read(file, delimiterRegex, rows::add);
        return new Table(header, rows);
    }

    /** Reads the header (returned) and passes each non-empty data row to the consumer. */
    static String[] read(Path file, String delimiterRegex, Consumer<Row> rows) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = in.readLine();
            if (header == null) {
                throw new DataFormatException(file + ": empty file (expected a header line)");
            }
            String[] names = header.replace("\uFEFF", "").split(delimiterRegex, -1);
            for (int k = 0; k < names.length; k++) {
                names[k] = names[k].trim();
            }
            String line;
            int lineNo = 1;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String[] fields = line.split(delimiterRegex, -1);
                for (int k = 0; k < fields.length; k++) {
                    fields[k] = fields[k].trim();
                }
                rows.accept(new Row(lineNo, fields));
            }
            return names;
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file + ": missing");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new DataFormatException(file + ": not UTF-8 text");
        }
    }

    static int column(Path file, String[] header, String name) {
        for (int k = 0; k < header.length; k++) {
            if (header[k].equals(name)) {
                return k;
            }
        }
        throw new DataFormatException(file + ": header has no '" + name + "' column (found " + String.join(", ", header) + ")");
    }

    static List<String> lines(Path file) throws IOException {
        return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    }
}
