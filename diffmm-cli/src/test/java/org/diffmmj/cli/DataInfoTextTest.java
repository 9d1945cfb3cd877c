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
}
