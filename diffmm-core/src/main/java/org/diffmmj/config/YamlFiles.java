package org.diffmmj.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

/** Reading and writing flat YAML config files, as MMRec and RecBole users write them. */
public final class YamlFiles {

    private static final ObjectMapper READER = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            // Floats keep the text the user wrote, so a float key is parsed once, exactly.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
    private static final ObjectMapper WRITER = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private YamlFiles() {
    }

    /** The top-level mapping of {@code file}; a missing file, bad syntax or another shape is refused. */
    public static Map<String, Object> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": no such config file");
        }
        try (JsonParser parser = READER.createParser(file.toFile())) {
            return mapping(root(parser), file.toString());
        } catch (JsonProcessingException e) {
            throw invalid(file.toString(), e);
        }
    }

    /** The top-level mapping of YAML {@code text}, refused (naming {@code source}) like a file's. */
    public static Map<String, Object> parse(String text, String source) {
        try (JsonParser parser = READER.createParser(text)) {
            return mapping(root(parser), source);
        } catch (JsonProcessingException e) {
            throw invalid(source, e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The document's value; null for one with no content (empty, or comments only), which is no keys. */
    private static Object root(JsonParser parser) throws IOException {
        return parser.nextToken() == null ? null : READER.readValue(parser, Object.class);
    }

    private static ConfigException invalid(String source, JsonProcessingException e) {
        return new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage()
                + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
    }

    private static Map<String, Object> mapping(Object root, String source) {
        if (root == null) {
            return new LinkedHashMap<>();
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new ConfigException(source + ": expected a mapping of keys to values at the top level");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

    public static String write(Map<String, Object> values) {
        try {
            return WRITER.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
