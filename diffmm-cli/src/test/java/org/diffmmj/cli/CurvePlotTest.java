package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.model.MfBpr;
import org.diffmmj.model.Recommender;
import org.diffmmj.random.Rng;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.train.TrainingHistory;

class CurvePlotTest {

    @TempDir
    Path dir;

    @Test
    void writesAPngOfTheTrainingCurves() throws Exception {
        Dataset data = TestData.synthetic(60, 40, 3);
        TrainingHistory h;
        try (Recommender r = MfBpr.DEFINITION.create(MfBpr.DEFINITION.config("dim", 8), data, new Rng(1))) {
            h = new Trainer(TrainingConfig.builder().epochs(3).batchSize(64).build()).fit(r, data, Map.of(), null);
        }
        CurvePlot.write(h, dir.resolve("curves.png"));
        byte[] png = Files.readAllBytes(dir.resolve("curves.png"));
        assertThat(png.length).isGreaterThan(1000);
        assertThat(new String(png, 1, 3)).isEqualTo("PNG");
    }
}
