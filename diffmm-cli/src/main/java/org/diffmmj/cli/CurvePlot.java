package org.diffmmj.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import org.diffmmj.train.EpochRecord;
import org.diffmmj.train.TrainingHistory;
import org.diffmmj.util.AtomicFiles;

/** Training curves as one PNG: loss parts per epoch beside validation and test metric. */
public final class CurvePlot {

    private CurvePlot() {
    }

    public static void write(TrainingHistory history, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<EpochRecord> epochs = history.epochs();
        if (epochs.isEmpty()) {
            return;
        }
        XYChart losses = new XYChartBuilder().width(640).height(420).title("Training losses")
                .xAxisTitle("epoch").yAxisTitle("loss").build();
        Set<String> names = new LinkedHashSet<>();
        epochs.forEach(e -> names.addAll(e.losses().keySet()));
        // Loss parts differ by orders of magnitude (diffusion vs BPR): a log axis shows them all.
        boolean allPositive = epochs.stream().flatMap(e -> e.losses().values().stream()).allMatch(v -> v > 0);
        losses.getStyler().setYAxisLogarithmic(allPositive);
        for (String name : names) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (EpochRecord e : epochs) {
                Double v = e.losses().get(name);
                if (v != null && Double.isFinite(v)) {
                    x.add((double) e.epoch());
                    y.add(v);
                }
            }
            if (!x.isEmpty()) {
                losses.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
            }
        }
        String metric = history.selectionMetric();
        XYChart quality = new XYChartBuilder().width(640).height(420).title(metric + " by epoch")
                .xAxisTitle("epoch").yAxisTitle(metric).build();
        List<Double> x = new ArrayList<>();
        List<Double> val = new ArrayList<>();
        List<Double> test = new ArrayList<>();
        for (EpochRecord e : epochs) {
            if (e.evaluated()) {
                x.add((double) e.epoch());
                val.add(e.val().get(metric));
                test.add(e.test().get(metric));
            }
        }
        if (!x.isEmpty()) {
            quality.addSeries("validation", x, val);
            quality.addSeries("test", x, test);
        }
        Path tmp = Files.createTempFile("curves", ".png");
        try {
            BitmapEncoder.saveBitmap(List.of(losses, quality), 1, 2, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.write(png, Files.readAllBytes(tmp));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
