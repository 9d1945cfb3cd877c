package org.diffmmj.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

import org.diffmmj.util.AtomicFiles;

/**
 * The results table of a {@code reproduce}: per model, test Recall, NDCG and Precision at K as
 * mean ± sample standard deviation over its seeds, under both protocols (the epoch chosen on
 * validation, and the paper's best test epoch), the best model by validation-selected Recall@K and
 * a paired significance test of its lead over the runner-up; written as Markdown, CSV, JSON, a
 * LaTeX tabular for a paper and a bar chart with error bars.
 */
public final class ResultTable {

    /** The two ways of picking a run's epoch, as labelled in the outputs. */
    public enum Protocol {
        VALIDATION_SELECTED("validation-selected", "test at the epoch with the best validation %s (honest)"),
        BEST_TEST("best-test", "test at the epoch with the best test %s (the paper's protocol; selects on the test set,"
                + " optimistic)");

        final String label;
        final String description;

        Protocol(String label, String description) {
            this.label = label;
            this.description = description;
        }

        Map<String, Double> of(RunOutcome o) {
            return this == VALIDATION_SELECTED ? o.testAtBestVal() : o.bestTest();
        }
    }

    /** Mean, sample sd and the per-seed values of one metric of one model under one protocol. */
    public record Cell(double mean, double sd, double[] values) {
        static Cell of(double[] values) {
            SummaryStatistics s = new SummaryStatistics();
            Arrays.stream(values).forEach(s::addValue);
            return new Cell(s.getMean(), values.length > 1 ? s.getStandardDeviation() : 0, values);
        }

        /**
         * "mean ± sd" for Markdown; the mean alone from one seed, whose sample sd is undefined
         * (the 0 kept in {@code sd} for the plots and files would read as "no spread").
         */
        public String markdown() {
            return values.length > 1 ? String.format(Locale.ROOT, "%.4f ± %.4f", mean, sd)
                    : String.format(Locale.ROOT, "%.4f", mean);
        }

        /** The same for LaTeX, the sd small after the mean. */
        String latex() {
            return values.length > 1 ? String.format(Locale.ROOT, "%.4f{\\scriptsize $\\pm$%.4f}", mean, sd)
                    : String.format(Locale.ROOT, "%.4f", mean);
        }
    }

    private final List<String> models;
    private final Map<String, List<RunOutcome>> byModel;
    private final List<String> metrics;
    private final String selectionMetric;
    private final String title;
    private final Map<String, Map<Protocol, Map<String, Cell>>> cells = new LinkedHashMap<>();
    private String best;
    private String runnerUp;
    private Significance significance;
    private String command;

    /**
     * @param outcomes finished runs (nulls for runs that did not finish are skipped)
     * @param k the cut-off of the table's metrics
     */
    public ResultTable(String title, List<String> models, List<RunOutcome> outcomes, int k) {
        this.title = title;
        this.metrics = List.of("recall@" + k, "ndcg@" + k, "precision@" + k);
        this.selectionMetric = "recall@" + k;
        this.byModel = new LinkedHashMap<>();
        for (String m : models) {
            List<RunOutcome> runs = outcomes.stream().filter(o -> o != null && o.run().model().equals(m)).toList();
            if (!runs.isEmpty()) {
                byModel.put(m, runs);
            }
        }
        this.models = new ArrayList<>(byModel.keySet());
        for (String m : this.models) {
            Map<Protocol, Map<String, Cell>> perProtocol = new LinkedHashMap<>();
            for (Protocol p : Protocol.values()) {
                Map<String, Cell> row = new LinkedHashMap<>();
                for (String metric : metrics) {
                    row.put(metric, Cell.of(byModel.get(m).stream()
                            .mapToDouble(o -> p.of(o).getOrDefault(metric, Double.NaN)).toArray()));
                }
                perProtocol.put(p, row);
            }
            cells.put(m, perProtocol);
        }
        List<String> ranked = new ArrayList<>(this.models);
        ranked.sort((a, b) -> Double.compare(cell(b, Protocol.VALIDATION_SELECTED, selectionMetric).mean(),
                cell(a, Protocol.VALIDATION_SELECTED, selectionMetric).mean()));
        if (!ranked.isEmpty()) {
            best = ranked.get(0);
        }
        if (ranked.size() > 1) {
            runnerUp = ranked.get(1);
            double[] a = perUserMean(best);
            double[] b = perUserMean(runnerUp);
            if (a != null && b != null) {
                significance = Significance.wilcoxon(a, b);
            }
        }
    }

    /** The command line that made the table, shown under its title. */
    public ResultTable withCommand(String command) {
        this.command = command;
        return this;
    }

    /** The models with at least one finished run, in the table's order. */
    public List<String> models() {
        return List.copyOf(models);
    }

    public Cell cell(String model, Protocol protocol, String metric) {
        return cells.get(model).get(protocol).get(metric);
    }

    public String best() {
        return best;
    }

    public String runnerUp() {
        return runnerUp;
    }

    /** The test of the best model's lead over the runner-up, or null (one model, or no per-user values). */
    public Significance significance() {
        return significance;
    }

    /**
     * Each test user's per-user metric averaged over the model's seeds (every run is on the same
     * data, so the same users in the same order), or null when a run lacks them.
     */
    public double[] perUserMean(String model) {
        List<RunOutcome> runs = byModel.get(model);
        if (runs == null) {
            return null;
        }
        int[] users = runs.get(0).users();
        if (users == null) {
            return null;
        }
        double[] mean = new double[users.length];
        for (RunOutcome o : runs) {
            if (o.perUser() == null || !Arrays.equals(o.users(), users)) {
                return null;
            }
            for (int i = 0; i < mean.length; i++) {
                mean[i] += o.perUser()[i] / runs.size();
            }
        }
        return mean;
    }

    public void write(Path dir) throws IOException {
        AtomicFiles.write(dir.resolve("table.md"), markdown().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("table.csv"), csv().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("table.tex"), latex().getBytes(StandardCharsets.UTF_8));
        RunFiles.writeJson(dir.resolve("table.json"), json());
        writePng(dir.resolve("table.png"));
    }

    private static String pretty(String metric) {
        String[] p = metric.split("@");
        String name = switch (p[0]) {
            case "ndcg" -> "NDCG";
            case "recall" -> "Recall";
            case "precision" -> "Precision";
            default -> p[0];
        };
        return name + "@" + p[1];
    }

    public String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(title).append("\n\n");
        if (command != null) {
            md.append("Made by `").append(command).append("`.\n\n");
        }
        md.append("Test metrics, mean ± sample standard deviation over each model's seeds (n = seeds; the mean alone"
                + " where n = 1).")
                .append(" **Bold**: the best model by validation-selected test ").append(pretty(selectionMetric))
                .append(".\n");
        for (Protocol p : Protocol.values()) {
            md.append("\n## ").append(p == Protocol.VALIDATION_SELECTED ? "Validation-selected" : "Best test epoch")
                    .append(": ").append(String.format(p.description, pretty(selectionMetric))).append("\n\n");
            md.append("| Model | n | ");
            md.append(metrics.stream().map(ResultTable::pretty).collect(Collectors.joining(" | ")));
            md.append(" | epoch (mean) |\n|---|---:|");
            md.append("---:|".repeat(metrics.size())).append("---:|\n");
            for (String m : models) {
                List<RunOutcome> runs = byModel.get(m);
                String name = m.equals(best) ? "**" + m + "** (best)" : m;
                md.append("| ").append(name).append(" | ").append(runs.size()).append(" | ");
                for (String metric : metrics) {
                    Cell c = cell(m, p, metric);
                    String v = c.markdown();
                    md.append(m.equals(best) ? "**" + v + "**" : v).append(" | ");
                }
                double epoch = runs.stream().mapToInt(o -> p == Protocol.VALIDATION_SELECTED ? o.bestValEpoch()
                        : o.bestTestEpoch()).average().orElse(Double.NaN);
                md.append(String.format(Locale.ROOT, "%.1f |%n", epoch));
            }
        }
        md.append("\n## Significance\n\n").append(significanceSentence()).append("\n");
        md.append("\n## Runs\n\n| Model | Seed | Epochs trained | Validation-selected epoch | Val ")
                .append(pretty(selectionMetric)).append(" | Test ").append(pretty(selectionMetric))
                .append(" | Wall time | Peak RSS (MB) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String m : models) {
            for (RunOutcome o : byModel.get(m)) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.4f | %.4f | %s | %s |%n", m, o.run().seed(),
                        o.epochsTrained(), o.bestValEpoch(), o.valAtBestVal().getOrDefault(selectionMetric, Double.NaN),
                        o.testAtBestVal().getOrDefault(selectionMetric, Double.NaN), Durations.format(o.wallSeconds()),
                        Double.isNaN(o.peakRssMb()) ? "?" : String.format("%.0f", o.peakRssMb())));
            }
        }
        md.append("\nWall time: the train process's, from start to end (with the epoch time of sessions that were"
                + " interrupted and resumed). Peak RSS: ");
        boolean inProcess = byModel.values().stream().flatMap(List::stream)
                .anyMatch(o -> RunFiles.WHOLE_PROCESS.equals(o.peakRssScope()));
        md.append(inProcess ? "the whole reproduce process's so far (runs were trained in-process), not each run's alone.\n"
                : "each run's own process (VmHWM).\n");
        return md.toString();
    }

    /**
     * A tabular to include in a paper (LaTeX package booktabs): one row per model, both
     * protocols side by side, mean ± sd; in each column the highest mean is bold and the second
     * underlined, as results tables in the field mark them. The command, the seeds and the
     * significance test go in comments above it, for the caption.
     */
    public String latex() {
        StringBuilder tex = new StringBuilder();
        tex.append("% ").append(title).append('\n');
        if (command != null) {
            tex.append("% Made by ").append(command).append('\n');
        }
        tex.append("% Test metrics, mean $\\pm$ sample sd over seeds; per column bold: highest mean, underlined: second.\n");
        tex.append("% ").append(significanceSentence().replace("**", "")).append('\n');
        int n = metrics.size();
        tex.append("\\begin{tabular}{l").append("c".repeat(2 * n)).append("}\n\\toprule\n");
        tex.append(" & \\multicolumn{").append(n).append("}{c}{Validation-selected} & \\multicolumn{").append(n)
                .append("}{c}{Best test epoch (paper's protocol)} \\\\\n");
        tex.append(String.format(Locale.ROOT, "\\cmidrule(lr){2-%d} \\cmidrule(lr){%d-%d}%n", n + 1, n + 2, 2 * n + 1));
        tex.append("Model");
        for (int i = 0; i < 2; i++) {
            for (String metric : metrics) {
                tex.append(" & ").append(pretty(metric));
            }
        }
        tex.append(" \\\\\n\\midrule\n");
        for (String m : models) {
            tex.append(latexEscape(m));
            for (Protocol p : Protocol.values()) {
                for (String metric : metrics) {
                    Cell c = cell(m, p, metric);
                    String v = c.latex();
                    int rank = rankInColumn(m, p, metric);
                    tex.append(" & ").append(rank == 0 ? "\\textbf{" + v + "}" : rank == 1 ? "\\underline{" + v + "}" : v);
                }
            }
            tex.append(" \\\\\n");
        }
        return tex.append("\\bottomrule\n\\end{tabular}\n").toString();
    }

    /** 0 for the highest mean of the column, 1 for the second, ...; ties share the better rank. */
    private int rankInColumn(String model, Protocol p, String metric) {
        double mine = cell(model, p, metric).mean();
        return (int) models.stream().filter(o -> cell(o, p, metric).mean() > mine).count();
    }

    private static String latexEscape(String s) {
        return s.replaceAll("([&%$#_{}])", "\\\\$1");
    }

    public String significanceSentence() {
        if (best == null) {
            return "No run finished.";
        }
        if (runnerUp == null) {
            return "Only one model (" + best + "): nothing to compare.";
        }
        double second = cell(runnerUp, Protocol.VALIDATION_SELECTED, selectionMetric).mean();
        double lead = cell(best, Protocol.VALIDATION_SELECTED, selectionMetric).mean() - second;
        String head = String.format(Locale.ROOT, "Best: **%s**, ahead of %s by %+.4f%s validation-selected test %s. ", best,
                runnerUp, lead, second > 0 ? String.format(Locale.ROOT, " (%+.1f %%)", 100 * lead / second) : "",
                pretty(selectionMetric));
        if (significance == null) {
            return head + "No per-user values were recorded, so no significance test was run.";
        }
        Significance s = significance;
        return head + String.format(Locale.ROOT, "%s on each test user's %s at each run's validation-selected checkpoint"
                        + " (model.ckpt), averaged over the seeds: %d users, %d with different values (ties dropped),"
                        + " mean difference %+.4f, W = %.1f, p = %.3g (%s). %s at α = 0.05.",
                Significance.TEST_NAME, pretty(selectionMetric), s.users(), s.nonZero(), s.meanDifference(), s.statistic(),
                s.pValue(), s.exact() ? "exact" : "normal approximation",
                s.pValue() < 0.05 ? "The lead is significant" : "The lead is not significant");
    }

    public String csv() {
        StringBuilder csv = new StringBuilder("protocol,model,metric,mean,sd,n,best,values\n");
        for (Protocol p : Protocol.values()) {
            for (String m : models) {
                for (String metric : metrics) {
                    Cell c = cell(m, p, metric);
                    csv.append(String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.6f,%d,%s,%s%n", p.label, m, metric, c.mean(),
                            c.sd(), c.values().length, m.equals(best), Arrays.stream(c.values())
                                    .mapToObj(v -> String.format(Locale.ROOT, "%.6f", v)).collect(Collectors.joining(";"))));
                }
            }
        }
        return csv.toString();
    }

    public Map<String, Object> json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("title", title);
        root.put("command", command);
        Map<String, Object> protocols = new LinkedHashMap<>();
        for (Protocol p : Protocol.values()) {
            protocols.put(p.label, String.format(p.description, selectionMetric));
        }
        root.put("protocols", protocols);
        Map<String, Object> rows = new LinkedHashMap<>();
        for (String m : models) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("seeds", byModel.get(m).stream().map(o -> o.run().seed()).toList());
            for (Protocol p : Protocol.values()) {
                Map<String, Object> ms = new LinkedHashMap<>();
                for (String metric : metrics) {
                    Cell c = cell(m, p, metric);
                    Map<String, Object> cellJson = new LinkedHashMap<>();
                    cellJson.put("mean", c.mean());
                    cellJson.put("sd", c.sd());
                    cellJson.put("values", c.values());
                    ms.put(metric, cellJson);
                }
                row.put(p.label, ms);
            }
            rows.put(m, row);
        }
        root.put("models", rows);
        root.put("best", best);
        root.put("runner_up", runnerUp);
        if (significance != null) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("test", Significance.TEST_NAME);
            s.put("metric", selectionMetric + " per test user at the validation-selected checkpoint, mean over seeds");
            s.put("users", significance.users());
            s.put("users_with_different_values", significance.nonZero());
            s.put("mean_difference", significance.meanDifference());
            s.put("statistic_w", significance.statistic());
            s.put("p_value", significance.pValue());
            s.put("exact", significance.exact());
            s.put("significant_at_0.05", significance.pValue() < 0.05);
            root.put("significance", s);
        }
        root.put("summary", significanceSentence().replace("**", ""));
        return root;
    }

    private void writePng(Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        if (models.isEmpty()) {
            return;
        }
        List<CategoryChart> charts = new ArrayList<>();
        for (Protocol p : Protocol.values()) {
            CategoryChart chart = new CategoryChartBuilder().width(640).height(420)
                    .title(p == Protocol.VALIDATION_SELECTED ? "Test, validation-selected epoch"
                            : "Test, best test epoch (paper's protocol)")
                    .xAxisTitle("metric").yAxisTitle("mean ± sd over seeds").build();
            List<String> x = metrics.stream().map(ResultTable::pretty).toList();
            for (String m : models) {
                List<Double> y = new ArrayList<>();
                List<Double> err = new ArrayList<>();
                for (String metric : metrics) {
                    y.add(cell(m, p, metric).mean());
                    err.add(cell(m, p, metric).sd());
                }
                chart.addSeries(m.equals(best) ? m + " (best)" : m, x, y, err);
            }
            charts.add(chart);
        }
        Path tmp = Files.createTempFile("table", ".png");
        try {
            BitmapEncoder.saveBitmap(new ArrayList<>(charts), 1, 2, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
            AtomicFiles.write(png, Files.readAllBytes(tmp));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
