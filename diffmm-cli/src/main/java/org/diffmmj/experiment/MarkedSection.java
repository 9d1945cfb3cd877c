package org.diffmmj.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.diffmmj.util.AtomicFiles;

/**
 * The part of a Markdown file between two marker lines, replaced by generated Markdown: how a
 * README's results section is made from a {@code reproduce} output rather than copied by hand.
 * The markers are HTML comments, invisible when the file is rendered; every line outside them is
 * kept as it was. The file is checked before any training starts ({@link #check}), so a missing
 * marker costs seconds rather than the hours of a table, and rewritten atomically.
 */
public final class MarkedSection {

    private final Path file;
    private final String begin;
    private final String end;

    /** The section named {@code name} of {@code file}: the lines between {@code <!-- reproduce:NAME:begin -->} and {@code <!-- reproduce:NAME:end -->}. */
    public MarkedSection(Path file, String name) {
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("section name '" + name + "': letters, digits, '.', '_' and '-' only");
        }
        this.file = file;
        this.begin = "<!-- reproduce:" + name + ":begin -->";
        this.end = "<!-- reproduce:" + name + ":end -->";
    }

    /** FILE or FILE#NAME, the name defaulting to {@code defaultName}. */
    public static MarkedSection parse(String spec, String defaultName) {
        int hash = spec.lastIndexOf('#');
        return hash > 0 ? new MarkedSection(Path.of(spec.substring(0, hash)), spec.substring(hash + 1))
                : new MarkedSection(Path.of(spec), defaultName);
    }

    public Path file() {
        return file;
    }

    public String markers() {
        return begin + " and " + end;
    }

    /** Refuses a file without exactly one begin marker followed by exactly one end marker. */
    public void check() throws IOException {
        locate(read());
    }

    /**
     * Replaces what lies between the markers with {@code markdown}, its headings moved down by
     * {@code headingShift} levels so that a table's title fits under the file's own section.
     */
    public void replace(String markdown, int headingShift) throws IOException {
        List<String> lines = read();
        int[] at = locate(lines);
        List<String> out = new ArrayList<>(lines.subList(0, at[0] + 1));
        out.add("");
        for (String line : markdown.strip().split("\n", -1)) {
            out.add(line.startsWith("#") ? "#".repeat(headingShift) + line : line);
        }
        out.add("");
        out.addAll(lines.subList(at[1], lines.size()));
        AtomicFiles.write(file, (String.join("\n", out) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private List<String> read() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such file (--into names the Markdown file whose section "
                    + "between the lines " + markers() + " is replaced by the table)");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (text.endsWith("\n")) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    /** Line indices of the begin and end markers. */
    private int[] locate(List<String> lines) {
        int beginLine = -1;
        int endLine = -1;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.equals(begin)) {
                if (beginLine >= 0) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": a second " + begin + " (the first is on line "
                            + (beginLine + 1) + "); the file must have one section to replace");
                }
                beginLine = i;
            } else if (l.equals(end)) {
                if (beginLine < 0) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + end + " before any " + begin);
                }
                if (endLine >= 0) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": a second " + end + " (the first is on line "
                            + (endLine + 1) + ")");
                }
                endLine = i;
            }
        }
        if (beginLine < 0 || endLine < 0) {
            throw new IllegalArgumentException(file + ": expected a line " + begin + " and, after it, a line " + end
                    + " around the section the table replaces; "
                    + (beginLine < 0 ? "neither is there" : "the end marker is missing"));
        }
        return new int[] {beginLine, endLine};
    }
}
