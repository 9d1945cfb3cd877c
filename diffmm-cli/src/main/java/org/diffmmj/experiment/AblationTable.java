package org.diffmmj.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.diffmmj.model.Ablation;
import org.diffmmj.util.AtomicFiles;

/**
 * The ablation table of {@code reproduce --ablations MODEL}: one row per variant (the full model
 * first), test Recall and NDCG at K as mean ± sample sd over the seeds, under both protocols of
 * {@link ResultTable} (whose cells it reads), and each variant's change against the full model:
 * the difference of the means, absolute and relative, and under the validation-selected protocol a
 * {@link Significance Wilcoxon signed-rank test} of the per-user Recall@K (averaged over seeds)
 * against the full model's. Written as {@code ablations.md}, {@code ablations.csv} and
 * {@code ablations.json}.
 */
public final class AblationTable {

    private final String title;
    private final String model;
    private final List<Ablation> variants;
    private final ResultTable table;
    private final List<String> metrics;
    private final String selectionMetric;
    private final Map<String, Significance> versusFull = new LinkedHashMap<>();
    private String command;

    /**
     * @param variants the variants, the full model (no overrides) first; their ids are the table's model names
     */
    public AblationTable(String title, String model, List<Ablation> variants, ResultTable table, int k) {
        if (variants.isEmpty() || !variants.get(0).overrides().isEmpty()) {
            throw new IllegalArgumentException("the first variant must be the full model (no overrides)");
        }
        this.title = title;
        this.model = model;
        this.variants = List.copyOf(variants);
        this.table = table;
        this.metrics = List.of("recall@" + k, "ndcg@" + k);
        this.selectionMetric = "recall@" + k;
        double[] full = has(full().id()) ? table.perUserMean(full().id()) : null;
        for (Ablation a : variants.subList(1, variants.size())) {
            double[] v = has(a.id()) ? table.perUserMean(a.id()) : null;
            if (full != null && v != null && v.length == full.length) {
                versusFull.put(a.id(), Significance.wilcoxon(v, full));
            }
        }
    }

    public AblationTable withCommand(String command) {
        this.command = command;
        return this;
    }

    private Ablation full() {
        return variants.get(0);
    }

    private boolean has(String id) {
        return table.models().contains(id);
    }

    /** The variant's mean minus the full model's, or NaN when either has no finished run. */
    public double delta(String id, ResultTable.Protocol protocol, String metric) {
        if (!has(id) || !has(full().id())) {
            return Double.NaN;
        }
        return table.cell(id, protocol, metric).mean() - table.cell(full().id(), protocol, metric).mean();
    }

    /** The test of the variant's per-user Recall@K against the full model's, or null. */
    public Significance significance(String id) {
        return versusFull.get(id);
    }

    private static String pretty(String metric) {
        String[] p = metric.split("@");
        return (p[0].equals("ndcg") ? "NDCG" : p[0].equals("recall") ? "Recall" : p[0]) + "@" + p[1];
    }

    private static String overridesText(Ablation a) {
        return a.overrides().isEmpty() ? "—" : new TreeMap<>(a.overrides()).entrySet().stream()
                .map(e -> "`" + e.getKey() + "=" + e.getValue() + "`").collect(Collectors.joining(", "));
    }

    private String deltaText(String id, ResultTable.Protocol p, String metric) {
        if (id.equals(full().id())) {
            return "—";
        }
        double d = delta(id, p, metric);
        if (Double.isNaN(d)) {
            return "?";
        }
        double base = table.cell(full().id(), p, metric).mean();
        return base == 0 ? String.format(Locale.ROOT, "%+.4f", d)
                : String.format(Locale.ROOT, "%+.4f (%+.1f%%)", d, 100 * d / base);
    }

    public String markdown() {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        if (command != null) {
            md.append("Made by `").append(command).append("`.\n\n");
        }
        md.append("Each variant is ").append(full().label()).append(" with one part removed by the keys in the last")
                .append(" column (over the same preset and settings). Test metrics, mean ± sample standard deviation")
                .append(" over the seeds (n; the mean alone where n = 1); Δ: the variant's mean minus ").append(full().label())
                .append("'s, and relative to it. p: ").append(Significance.TEST_NAME).append(" of each test user's ")
                .append(pretty(selectionMetric)).append(" (validation-selected checkpoint, averaged over the seeds)")
                .append(" against ").append(full().label()).append("'s.\n");
        for (ResultTable.Protocol p : ResultTable.Protocol.values()) {
            boolean vs = p == ResultTable.Protocol.VALIDATION_SELECTED;
            md.append("\n## ").append(vs ? "Validation-selected" : "Best test epoch").append(": ")
                    .append(String.format(p.description, pretty(selectionMetric))).append("\n\n| Variant | Removes | n | ");
            for (String m : metrics) {
                md.append(pretty(m)).append(" | Δ ").append(pretty(m)).append(" | ");
            }
            md.append(vs ? "p (" + pretty(selectionMetric) + ") | " : "").append("Keys |\n|---|---|---:|")
                    .append("---:|---:|".repeat(metrics.size())).append(vs ? "---:|" : "").append("---|\n");
            for (Ablation a : variants) {
                md.append("| ").append(a.label()).append(" | ").append(a.description()).append(" | ");
                if (!has(a.id())) {
                    md.append("0 | ").append("no finished run | | ".repeat(metrics.size())).append(vs ? " | " : "")
                            .append(overridesText(a)).append(" |\n");
                    continue;
                }
                ResultTable.Cell first = table.cell(a.id(), p, metrics.get(0));
                md.append(first.values().length).append(" | ");
                for (String m : metrics) {
                    ResultTable.Cell c = table.cell(a.id(), p, m);
                    md.append(c.markdown()).append(" | ")
                            .append(deltaText(a.id(), p, m)).append(" | ");
                }
                if (vs) {
                    Significance s = significance(a.id());
                    md.append(a == full() ? "—" : s == null ? "?" : String.format(Locale.ROOT, "%.3g", s.pValue()))
                            .append(" | ");
                }
                md.append(overridesText(a)).append(" |\n");
            }
        }
        md.append("\nThe runs, their epochs, wall time and peak RSS: the `table.md` of the same output (rows named by the")
                .append(" variants' ids: ").append(variants.stream().map(a -> a.id() + " = " + a.label())
                        .collect(Collectors.joining(", "))).append(").\n");
        return md.toString();
    }

    public String csv() {
        StringBuilder csv = new StringBuilder(
                "protocol,variant,label,metric,mean,sd,n,delta,delta_relative,p_value,overrides\n");
        for (ResultTable.Protocol p : ResultTable.Protocol.values()) {
            for (Ablation a : variants) {
                if (!has(a.id())) {
                    continue;
                }
                for (String m : metrics) {
                    ResultTable.Cell c = table.cell(a.id(), p, m);
                    double d = a == full() ? Double.NaN : delta(a.id(), p, m);
                    double base = has(full().id()) ? table.cell(full().id(), p, m).mean() : Double.NaN;
                    Significance s = p == ResultTable.Protocol.VALIDATION_SELECTED && m.equals(selectionMetric)
                            ? significance(a.id()) : null;
                    csv.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%.6f,%.6f,%d,%s,%s,%s,%s%n", p.label, a.id(),
                            a.label(), m, c.mean(), c.sd(), c.values().length, number(d),
                            number(base == 0 ? Double.NaN : d / base), s == null ? "" : number(s.pValue()),
                            new TreeMap<>(a.overrides()).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                                    .collect(Collectors.joining(";"))));
                }
            }
        }
        return csv.toString();
    }

    private static String number(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }

    public Map<String, Object> json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("title", title);
        root.put("command", command);
        root.put("model", model);
        root.put("full", full().id());
        List<Object> rows = new ArrayList<>();
        for (Ablation a : variants) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", a.id());
            row.put("label", a.label());
            row.put("removes", a.description());
            row.put("overrides", new TreeMap<>(a.overrides()));
            if (has(a.id())) {
                for (ResultTable.Protocol p : ResultTable.Protocol.values()) {
                    Map<String, Object> ms = new LinkedHashMap<>();
                    for (String m : metrics) {
                        ResultTable.Cell c = table.cell(a.id(), p, m);
                        Map<String, Object> cell = new LinkedHashMap<>();
                        cell.put("mean", c.mean());
                        cell.put("sd", c.sd());
                        cell.put("values", c.values());
                        double d = delta(a.id(), p, m);
                        if (!Double.isNaN(d) && a != full()) {
                            cell.put("delta", d);
                        }
                        ms.put(m, cell);
                    }
                    row.put(p.label, ms);
                }
            }
            Significance s = significance(a.id());
            if (s != null) {
                row.put("p_value_" + selectionMetric, s.pValue());
                row.put("mean_per_user_difference", s.meanDifference());
            }
            rows.add(row);
        }
        root.put("variants", rows);
        root.put("test", Significance.TEST_NAME);
        return root;
    }

    public void write(Path dir) throws IOException {
        AtomicFiles.write(dir.resolve("ablations.md"), markdown().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("ablations.csv"), csv().getBytes(StandardCharsets.UTF_8));
        RunFiles.writeJson(dir.resolve("ablations.json"), json());
    }
}
