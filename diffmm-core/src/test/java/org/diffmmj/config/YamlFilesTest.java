package org.diffmmj.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text and files read alike: the same values, the same refusals, each naming where it came from. */
class YamlFilesTest {

    @TempDir
    Path dir;

    @Test
    void textAndTheFileHoldingItGiveTheSameMappingWithFloatsAsWritten() throws Exception {
        String text = "lr: 1.0E-3\nks:\n- 10\n- 20\ndata: /d/tiktok\nmsi: true\n";
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, text);
        Map<String, Object> parsed = YamlFiles.parse(text, "text");
        assertThat(parsed).isEqualTo(YamlFiles.read(file));
        assertThat(parsed.keySet()).containsExactly("lr", "ks", "data", "msi");
        assertThat(parsed.get("lr")).isEqualTo(new BigDecimal("1.0E-3"));
        assertThat(parsed.get("ks").toString()).isEqualTo(List.of(10, 20).toString());
        assertThat(parsed.get("msi")).isEqualTo(true);
        assertThat(YamlFiles.parse(YamlFiles.write(parsed), "again")).isEqualTo(parsed);
        assertThat(YamlFiles.parse("", "empty")).isEmpty();
        Files.writeString(file, "# nothing set here\n");
        assertThat(YamlFiles.read(file)).isEmpty();
    }

    @Test
    void aListOrBrokenYamlIsRefusedNamingItsSourceAndLine() {
        assertThatThrownBy(() -> YamlFiles.parse("- 1\n- 2\n", "plan"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("plan: expected a mapping of keys to values at the top level");
        assertThatThrownBy(() -> YamlFiles.parse("a: 1\nb: [1, 2\n", "plan"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("plan: not valid YAML: ")
                .hasMessageContaining("(line ");
        assertThatThrownBy(() -> YamlFiles.parse("a: 1\na: 2\n", "plan"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Duplicate field 'a'");
    }
}
