package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class DataInfoTextTest {

    @Test
    void numbersArePrintedForPeople() {
        assertThat(DataCommand.forPeople("train_density", 9.533167629147114E-4)).isEqualTo("0.09533 %");
        Map<String, Object> degree = new LinkedHashMap<>();
        degree.put("min", 0);
        degree.put("mean", 6.396755479157714);
        assertThat(DataCommand.forPeople("user_degree", degree)).isEqualTo("{min=0, mean=6.397}");
        assertThat(DataCommand.forPeople("users", 9308)).isEqualTo("9308");
    }

    @Test
    void numbersHaveFourSignificantDigitsAndNoJavaExponents() {
        assertThat(Text.number(1e-4f)).isEqualTo("1e-04");
        assertThat(Text.number(1.0E-5)).isEqualTo("1e-05");
        assertThat(Text.number(0.001)).isEqualTo("0.001");
        assertThat(Text.number(0.5020123456789)).isEqualTo("0.502");
        assertThat(Text.number(12.945)).isEqualTo("12.95");
        assertThat(Text.number(2.5e-7)).isEqualTo("2.5e-07");
        assertThat(Text.number(0.0)).isEqualTo("0");
        assertThat(Text.number(64)).isEqualTo("64");
        assertThat(Text.map(Map.of("lr", 1e-4))).isEqualTo("{lr=1e-04}");
    }
}
