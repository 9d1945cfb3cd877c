package org.diffmmj.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import org.diffmmj.util.AtomicFiles;

/**
 * The trials of a {@code tune}: each trial's values, its best validation metric (the one that
 * selects) and, for the record only, the test metric at that epoch; the best trial chosen on
 * validation alone (the earliest on ties). Written as CSV, Markdown and a plot of the validation
 * metric by trial with the best so far.
 */
public final class TuneReport {

    /** One trial: its values from the search space and its outcome (null: failed or not started). */
    public record Trial(PlannedRun run, Map<String, Object> values, RunOutcome outcome) {
        double validation(String metric) {
            return outcome == null ? Double.NaN : outcome.valAtBestVal().getOrDefault(metric, Double.NaN);
        }
    }

    private final List<Trial> trials;
    private final List<String> keys;
    private final String metric;
    private final int best;

    public TuneReport(List<Trial> trials, List<String> keys, String metric) {
        this.trials = trials;
        this.keys = keys;
        this.metric = metric;
        int b = -1;
        for (int i = 0; i < trials.size(); i++) {
            double v = trials.get(i).validation(metric);
            if (!Double.isNaN(v) && (b < 0 || v > trials.get(b).validation(metric))) {
                b = i;
            }
        }
        this.best = b;
    }

    /** The best trial by validation metric, or null when none finished. */
    public Trial best() {
        return best < 0 ? null : trials.get(best);
    }

    public void write(Path dir) throws IOException {
        AtomicFiles.write(dir.resolve("trials.csv"), csv().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("trials.md"), markdown().getBytes(StandardCharsets.UTF_8));
        writePng(dir.resolve("trials.png"));
    }

    private static String value(Object v) {
        if (v instanceof java.math.BigDecimal b) {
            // As the space file wrote it, less trailing zeros (YAML's 0.010 is 0.01).
            return b.stripTrailingZeros().toString();
        }
        return v instanceof Double d ? String.format(Locale.ROOT, "%.6g", d) : String.valueOf(v);
    }

    public String csv() {
        StringBuilder sb = new StringBuilder("trial,");
        keys.forEach(k -> sb.append(k).append(','));
        sb.append("status,val_").append(metric).append(",best_val_epoch,epochs_trained,test_").append(metric)
                .append("_at_best_val,wall_seconds,best\n");
        for (int i = 0; i < trials.size(); i++) {
            Trial t = trials.get(i);
            sb.append(t.run().id()).append(',');
            keys.forEach(k -> sb.append(value(t.values().get(k))).append(','));
            RunOutcome o = t.outcome();
            if (o == null) {
                sb.append("not finished,,,,,,false\n");
            } else {
                sb.append(String.format(Locale.ROOT, "finished,%.6f,%d,%d,%.6f,%.1f,%s%n", t.validation(metric),
                        o.bestValEpoch(), o.epochsTrained(), o.testAtBestVal().getOrDefault(metric, Double.NaN),
                        o.wallSeconds(), i == best));
            }
        }
        return sb.toString();
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder("# Tuning trials\n\nSelected on validation ").append(metric)
                .append(" only (best epoch of each trial, early stopping on validation); the test column is reported,"
                        + " never used to choose.\n\n| Trial | ");
        keys.forEach(k -> sb.append(k).append(" | "));
        sb.append("Val ").append(metric).append(" | Epoch | Epochs trained | Test ").append(metric)
                .append(" | Wall time |\n|---|");
        sb.append("---:|".repeat(keys.size() + 5)).append('\n');
        for (int i = 0; i < trials.size(); i++) {
            Trial t = trials.get(i);
            sb.append("| ").append(i == best ? "**" + t.run().id() + "** (best)" : t.run().id()).append(" | ");
            keys.forEach(k -> sb.append(value(t.values().get(k))).append(" | "));
            RunOutcome o = t.outcome();
            if (o == null) {
                sb.append("not finished | | | | |\n");
            } else {
                sb.append(String.format(Locale.ROOT, "%.4f | %d | %d | %.4f | %s |%n", t.validation(metric),
                        o.bestValEpoch(), o.epochsTrained(), o.testAtBestVal().getOrDefault(metric, Double.NaN),
                        Durations.format(o.wallSeconds())));
            }
        }
        return sb.toString();
    }

    private void writePng(Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        List<Double> bestSoFar = new ArrayList<>();
        double running = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < trials.size(); i++) {
            double v = trials.get(i).validation(metric);
            if (!Double.isNaN(v)) {
                x.add((double) i + 1);
                y.add(v);
                running = Math.max(running, v);
                bestSoFar.add(running);
            }
        }
        if (x.isEmpty()) {
            return;
        }
        XYChart chart = new XYChartBuilder().width(640).height(420).title("Validation " + metric + " by trial")
                .xAxisTitle("trial").yAxisTitle("validation " + metric).build();
        chart.getStyler().setYAxisDecimalPattern("0.0000");
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.addSeries("trial", x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.addSeries("best so far", x, bestSoFar).setMarker(SeriesMarkers.NONE);
        Path tmp = Files.createTempFile("trials", ".png");
        try {
            BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.write(png, Files.readAllBytes(tmp));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
